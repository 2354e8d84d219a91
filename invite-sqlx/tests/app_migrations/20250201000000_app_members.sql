-- The application's second migration: another name the store also uses.
CREATE TABLE members (
    id     bigserial PRIMARY KEY,
    org_id bigint NOT NULL REFERENCES organizations (id),
    email  text NOT NULL
);
