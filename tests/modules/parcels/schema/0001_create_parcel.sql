CREATE TABLE parcel (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  label     text NOT NULL,
  location  text NOT NULL
);
