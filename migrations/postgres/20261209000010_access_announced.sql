-- Each instance remembers API callers (a token, its user, the user's rights) between
-- requests instead of reading them on every one. Whoever changes what a caller is read
-- from, any instance, the command line or a hand in psql, announces it here so that every
-- instance forgets what it remembers. NOTIFY goes out when the transaction commits, and
-- only if it does; an instance's own changes are forgotten by the instance itself at once.
--
-- Row triggers with conditions, so that a save that changes nothing announces nothing:
-- announcing serialises the commits that do it.
CREATE FUNCTION announce_access_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hookline_access', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER api_tokens_access_changed AFTER UPDATE ON api_tokens FOR EACH ROW
    WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
        OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
        OR OLD.scopes IS DISTINCT FROM NEW.scopes
        OR OLD.name IS DISTINCT FROM NEW.name
        OR OLD.user_id IS DISTINCT FROM NEW.user_id
        OR OLD.token_hash IS DISTINCT FROM NEW.token_hash)
    EXECUTE FUNCTION announce_access_change();
CREATE TRIGGER api_tokens_access_deleted AFTER DELETE ON api_tokens FOR EACH ROW
    EXECUTE FUNCTION announce_access_change();

CREATE TRIGGER users_access_changed AFTER UPDATE ON users FOR EACH ROW
    WHEN (OLD.active IS DISTINCT FROM NEW.active
        OR OLD.email IS DISTINCT FROM NEW.email
        OR OLD.display_name IS DISTINCT FROM NEW.display_name)
    EXECUTE FUNCTION announce_access_change();
CREATE TRIGGER users_access_deleted AFTER DELETE ON users FOR EACH ROW
    EXECUTE FUNCTION announce_access_change();

CREATE TRIGGER roles_access_changed AFTER UPDATE ON roles FOR EACH ROW
    WHEN (OLD.kind IS DISTINCT FROM NEW.kind)
    EXECUTE FUNCTION announce_access_change();
CREATE TRIGGER roles_access_deleted AFTER DELETE ON roles FOR EACH ROW
    EXECUTE FUNCTION announce_access_change();

CREATE TRIGGER role_rights_access_changed AFTER INSERT OR UPDATE OR DELETE ON role_rights
    FOR EACH ROW EXECUTE FUNCTION announce_access_change();
CREATE TRIGGER user_roles_access_changed AFTER INSERT OR UPDATE OR DELETE ON user_roles
    FOR EACH ROW EXECUTE FUNCTION announce_access_change();
