//! R2 Invitations, in four parts: addresses and channels (R2.1–R2.3), access and who sees
//! it (R2.4–R2.6), one live invitation per address (R2.7–R2.8), bulk invites and what is
//! recorded (R2.9–R2.11).

mod access;
mod addresses;
mod bulk_and_records;
mod one_per_address;
