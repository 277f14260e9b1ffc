-- Trigram matching and accent folding, for every module's search (the
-- partners' first). Extensions exist once per database, so they live in
-- the kernel's schema and modules call them qualified: kernel.unaccent,
-- kernel.similarity, kernel.gin_trgm_ops. Both are trusted extensions
-- (PostgreSQL 13+), so a database owner may create them.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA kernel;
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA kernel;

-- Lower case without accents, as an IMMUTABLE function (unaccent itself is
-- only STABLE, since its dictionary could change), so it can feed indexes.
-- "Kovács Kft." -> "kovacs kft.", "Árvíztűrő" -> "arvizturo".
CREATE FUNCTION fold(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT lower(kernel.unaccent('kernel.unaccent'::regdictionary, $1)) $$;
