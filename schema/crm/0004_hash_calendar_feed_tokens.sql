-- Calendar feed secrets are kept as SHA-256 hashes (hex) of the token in
-- the URL, like API tokens: a copy of the database does not hand out
-- everyone's calendar. Existing feed URLs keep working, since a request's
-- token is hashed the same way before it is looked up.
ALTER TABLE calendar_feed RENAME COLUMN token TO token_hash;
UPDATE calendar_feed SET token_hash = encode(sha256(convert_to(token_hash, 'UTF8')), 'hex');
