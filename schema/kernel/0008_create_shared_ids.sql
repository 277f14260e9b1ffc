-- The ids of one resource type shared with a user, directly or through one
-- of the user's teams. Modules filter what an external partner sees with
--   (:external = 0 OR x.id IN (SELECT kernel.shared_ids('notes.note', :user_id)))
-- which PostgreSQL evaluates once per statement (a hashed subplan) and then
-- probes per row, instead of running is_shared_with's query for every row
-- it looks at: a broad search over a million partners looked at thousands.
CREATE FUNCTION shared_ids(p_resource_type text, p_user_id bigint)
RETURNS SETOF bigint LANGUAGE sql STABLE AS $$
  SELECT g.resource_id FROM kernel.record_grant g
  WHERE g.resource_type = p_resource_type AND g.user_id = p_user_id
  UNION
  SELECT g.resource_id FROM kernel.record_grant g
  JOIN kernel.team_member m ON m.team_id = g.team_id
  WHERE g.resource_type = p_resource_type AND m.user_id = p_user_id
$$;
