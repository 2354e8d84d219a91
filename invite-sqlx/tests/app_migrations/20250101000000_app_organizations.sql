-- An application's own migration, as an application embedding invite-sqlx might have: a
-- table named like one of the store's, in `public`, recorded in `public._sqlx_migrations`.
CREATE TABLE organizations (
    id   bigserial PRIMARY KEY,
    name text NOT NULL
);
INSERT INTO organizations (name) VALUES ('the application''s own');
