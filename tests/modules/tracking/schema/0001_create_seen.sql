-- What each subscription of the tracking module handled, in handling order.
CREATE TABLE seen (
  position      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  subscription  text   NOT NULL,
  event_id      bigint NOT NULL,
  topic         text   NOT NULL,
  parcel_id     bigint NOT NULL,
  location      text   NOT NULL,
  UNIQUE (subscription, event_id)
);
-- A row here lets "hold" parcels through.
CREATE TABLE release (released boolean PRIMARY KEY);
-- A row here makes "poison" parcels harmless.
CREATE TABLE cure (cured boolean PRIMARY KEY);
