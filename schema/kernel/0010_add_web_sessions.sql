-- People sign in to the web client with email and password (docs/web.md,
-- "Sign-in"). A signed-in browser holds a web session: an api_token row of
-- kind 'web_session' whose secret travels in an HttpOnly cookie instead of an
-- Authorization header. Being a token, it is checked, cached, expired and
-- revoked exactly like one, and disabling the user ends it at once.
ALTER TABLE api_token
  ADD COLUMN kind           text NOT NULL DEFAULT 'api' CHECK (kind IN ('api', 'web_session')),
  -- Web sessions: the browser and the address that signed in, so a user
  -- can tell their sessions apart when revoking one.
  ADD COLUMN user_agent     text NOT NULL DEFAULT '',
  ADD COLUMN client_address text NOT NULL DEFAULT '';

-- Every sign-in attempt, kept for the rate limit (failures per email and per
-- address within a window) and as the record of who tried when. Purged with
-- the finished jobs (--job-retention-days).
CREATE TABLE sign_in_attempt (
  id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email           text        NOT NULL,
  client_address  text        NOT NULL,
  -- 'signed_in', 'refused' (wrong email or password, disabled user) or
  -- 'locked' (refused unchecked: too many refusals before it)
  outcome         text        NOT NULL CHECK (outcome IN ('signed_in', 'refused', 'locked')),
  user_id         bigint      REFERENCES user_account (id) ON DELETE SET NULL,
  attempt_time    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_attempt_email_idx ON sign_in_attempt (lower(email), attempt_time);
CREATE INDEX sign_in_attempt_address_idx ON sign_in_attempt (client_address, attempt_time);
