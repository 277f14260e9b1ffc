-- A grant may be derived from another one: sharing a deal shows the deal's
-- partner card too. Such a grant names the record it came through
-- (via_resource_type, via_resource_id) and goes when that record is
-- unshared, or follows it when the deal moves to another partner. A grant
-- without "via" is a direct share, made and revoked on the record itself.
ALTER TABLE record_grant
  ADD COLUMN via_resource_type text,
  ADD COLUMN via_resource_id   bigint,
  ADD CHECK ((via_resource_type IS NULL) = (via_resource_id IS NULL));

DROP INDEX record_grant_user_key;
DROP INDEX record_grant_team_key;
CREATE UNIQUE INDEX record_grant_user_key ON record_grant
  (resource_type, resource_id, user_id, coalesce(via_resource_type, ''), coalesce(via_resource_id, 0))
  WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX record_grant_team_key ON record_grant
  (resource_type, resource_id, team_id, coalesce(via_resource_type, ''), coalesce(via_resource_id, 0))
  WHERE team_id IS NOT NULL;
CREATE INDEX record_grant_via_idx ON record_grant (via_resource_type, via_resource_id)
  WHERE via_resource_type IS NOT NULL;

-- Shared with this user on the record itself (or through one of the user's
-- teams), not only derived from another record: what a whole partner
-- timeline needs, where a deal's share shows the card alone.
CREATE FUNCTION is_shared_directly_with(p_resource_type text, p_resource_id bigint, p_user_id bigint)
RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (
    SELECT 1 FROM kernel.record_grant g
    WHERE g.resource_type = p_resource_type
      AND g.resource_id = p_resource_id
      AND g.via_resource_type IS NULL
      AND (g.user_id = p_user_id
           OR g.team_id IN (SELECT m.team_id FROM kernel.team_member m WHERE m.user_id = p_user_id)))
$$;
