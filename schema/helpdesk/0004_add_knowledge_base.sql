-- The knowledge base (H5): articles in Hungarian or English, every version
-- kept, searched with full text in each article's language, and linked
-- from the tickets they solved.

-- Text search in Hungarian and English that ignores accents: the built-in
-- Snowball stemmers behind the kernel's unaccent dictionary (a filtering
-- dictionary), so "nyomtatót", "nyomtatóval" and "nyomtato" all become
-- "nyomtat". Qualified everywhere, so a restore with an empty search_path
-- computes the same documents.
CREATE TEXT SEARCH CONFIGURATION helpdesk.hungarian (COPY = pg_catalog.hungarian);
ALTER TEXT SEARCH CONFIGURATION helpdesk.hungarian
  ALTER MAPPING FOR hword, hword_part, word WITH kernel.unaccent, pg_catalog.hungarian_stem;
CREATE TEXT SEARCH CONFIGURATION helpdesk.english (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION helpdesk.english
  ALTER MAPPING FOR hword, hword_part, word WITH kernel.unaccent, pg_catalog.english_stem;

-- The configuration of an article's language ("hu" or "en").
CREATE FUNCTION helpdesk.article_config(language text) RETURNS pg_catalog.regconfig
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE language WHEN 'hu' THEN 'helpdesk.hungarian'::pg_catalog.regconfig
                           ELSE 'helpdesk.english'::pg_catalog.regconfig END $$;

-- What the search matches: the title and the tags weigh more than the body.
-- IMMUTABLE (as to_tsvector with a fixed configuration is), so it can be a
-- generated column.
CREATE FUNCTION helpdesk.article_document(language text, title text, body text, tags text[])
RETURNS pg_catalog.tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.setweight(pg_catalog.to_tsvector(helpdesk.article_config(language),
                                                         title), 'A')
             OPERATOR(pg_catalog.||)
             pg_catalog.setweight(pg_catalog.to_tsvector(helpdesk.article_config(language),
                                  pg_catalog.array_to_string(tags, ' ')), 'A')
             OPERATOR(pg_catalog.||)
             pg_catalog.setweight(pg_catalog.to_tsvector(helpdesk.article_config(language),
                                                         body), 'B') $$;

-- Each article as it is now.
CREATE TABLE article (
  id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- Its address, /kb/<slug>.
  slug            text        NOT NULL UNIQUE
                  CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,98}[a-z0-9])?$'),
  title           text        NOT NULL CHECK (title <> ''),
  body            text        NOT NULL DEFAULT '',
  language        text        NOT NULL CHECK (language IN ('hu', 'en')),
  visibility      text        NOT NULL DEFAULT 'internal'
                  CHECK (visibility IN ('internal', 'public')),
  tags            text[]      NOT NULL DEFAULT '{}',
  -- The version of the text (article_version holds each); 1, 2, ...
  version         integer     NOT NULL DEFAULT 1,
  archived        boolean     NOT NULL DEFAULT false,
  -- Who wrote the current version; 0: kartond (the demo).
  author_user_id  bigint      NOT NULL DEFAULT 0,
  create_time     timestamptz NOT NULL,
  update_time     timestamptz NOT NULL,
  -- The etag: one more on every write (a version, an archiving).
  revision        bigint      NOT NULL DEFAULT 1,
  document        tsvector    GENERATED ALWAYS AS
                  (helpdesk.article_document(language, title, body, tags)) STORED
);
CREATE INDEX article_document ON article USING gin (document);
CREATE INDEX article_tags ON article USING gin (tags);
CREATE INDEX article_recent ON article (update_time DESC, id DESC);

-- Every version of every article, the current one too.
CREATE TABLE article_version (
  article_id      bigint      NOT NULL REFERENCES article (id),
  version         integer     NOT NULL CHECK (version > 0),
  slug            text        NOT NULL,
  title           text        NOT NULL,
  body            text        NOT NULL,
  language        text        NOT NULL,
  visibility      text        NOT NULL,
  tags            text[]      NOT NULL,
  author_user_id  bigint      NOT NULL DEFAULT 0,
  -- When the version was written.
  create_time     timestamptz NOT NULL,
  PRIMARY KEY (article_id, version)
);

-- "Solved with": the articles a ticket was solved with.
CREATE TABLE article_link (
  ticket_id          bigint      NOT NULL REFERENCES ticket (id),
  article_id         bigint      NOT NULL REFERENCES article (id),
  linked_by_user_id  bigint      NOT NULL DEFAULT 0,
  link_time          timestamptz NOT NULL,
  PRIMARY KEY (ticket_id, article_id)
);
CREATE INDEX article_link_article ON article_link (article_id);
