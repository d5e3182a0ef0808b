-- The chain's head follows each appended record inside the database, one statement fewer for
-- every state change than an UPDATE sent after the INSERT (the rush has six a parent).
CREATE FUNCTION audit_head_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE audit_head SET last_hash = NEW.hash WHERE id = 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER audit_head_follows AFTER INSERT ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_head_follow();
