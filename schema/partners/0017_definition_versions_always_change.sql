-- CreatePartner checks a card against the custom field definitions its
-- kartond read earlier, and its INSERT compares "key.version" of every
-- stored definition with what was read (docs/partners.md, "Creating a
-- partner"). That comparison is only as good as the versions: so every
-- change of a definition bumps its version, whoever makes it (a hand-written
-- UPDATE too), and a definition is never deleted, because its key could
-- come back at version 1 with other rules.
CREATE FUNCTION custom_field_definition_versioned() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'custom field definition "%" cannot be deleted', OLD.key
      USING HINT = 'Custom field definitions are kept; make it optional instead.';
  END IF;
  NEW.version := OLD.version + 1;
  RETURN NEW;
END
$$;

CREATE TRIGGER versioned BEFORE UPDATE OR DELETE ON custom_field_definition
  FOR EACH ROW EXECUTE FUNCTION custom_field_definition_versioned();
