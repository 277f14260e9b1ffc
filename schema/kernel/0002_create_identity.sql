-- Identity and access (docs/security.md). Runs in schema "kernel".

CREATE TABLE user_account (
  id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name           text        NOT NULL CHECK (name <> ''),
  email          text        NOT NULL CHECK (email <> ''),
  -- argon2id (libsodium crypto_pwhash_str); NULL: token-only user
  password_hash  text,
  roles          text[]      NOT NULL DEFAULT '{}',
  disabled       boolean     NOT NULL DEFAULT false,
  request_id     text        UNIQUE,
  create_time    timestamptz NOT NULL DEFAULT now(),
  update_time    timestamptz NOT NULL DEFAULT now(),
  -- bumped by every update; the etag clients send back
  version        bigint      NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX user_account_email_key ON user_account (lower(email));

CREATE TABLE team (
  id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name         text        NOT NULL CHECK (name <> ''),
  request_id   text        UNIQUE,
  create_time  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX team_name_key ON team (lower(name));

CREATE TABLE team_member (
  team_id  bigint NOT NULL REFERENCES team (id) ON DELETE CASCADE,
  user_id  bigint NOT NULL REFERENCES user_account (id) ON DELETE CASCADE,
  PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_member_user_idx ON team_member (user_id);

CREATE TABLE api_token (
  id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id       bigint      NOT NULL REFERENCES user_account (id) ON DELETE CASCADE,
  display_name  text        NOT NULL DEFAULT '',
  -- SHA-256 of the secret: tokens are 256 random bits, so a fast hash is
  -- enough and lets every call look its token up by index.
  secret_hash   bytea       NOT NULL UNIQUE,
  prefix        text        NOT NULL,
  create_time   timestamptz NOT NULL DEFAULT now(),
  expire_time   timestamptz,
  revoke_time   timestamptz
);
CREATE INDEX api_token_user_idx ON api_token (user_id);

-- Collaborative CRM: a record shared with an external partner user or a
-- team. Modules filter their queries with it for external-partner callers.
CREATE TABLE record_grant (
  resource_type  text        NOT NULL,  -- "<module>.<resource>", e.g. "partners.partner"
  resource_id    bigint      NOT NULL,
  user_id        bigint      REFERENCES user_account (id) ON DELETE CASCADE,
  team_id        bigint      REFERENCES team (id) ON DELETE CASCADE,
  granted_by     bigint      REFERENCES user_account (id) ON DELETE SET NULL,
  create_time    timestamptz NOT NULL DEFAULT now(),
  CHECK ((user_id IS NULL) <> (team_id IS NULL))
);
CREATE UNIQUE INDEX record_grant_user_key ON record_grant (resource_type, resource_id, user_id)
  WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX record_grant_team_key ON record_grant (resource_type, resource_id, team_id)
  WHERE team_id IS NOT NULL;
CREATE INDEX record_grant_user_idx ON record_grant (user_id, resource_type);
CREATE INDEX record_grant_team_idx ON record_grant (team_id, resource_type);

-- For module queries: may this user see that record? Inlined by the planner
-- (a plain SQL function), so it costs an index probe per row checked.
CREATE FUNCTION is_shared_with(p_resource_type text, p_resource_id bigint, p_user_id bigint)
RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (
    SELECT 1 FROM kernel.record_grant g
    WHERE g.resource_type = p_resource_type
      AND g.resource_id = p_resource_id
      AND (g.user_id = p_user_id
           OR g.team_id IN (SELECT m.team_id FROM kernel.team_member m WHERE m.user_id = p_user_id)))
$$;
