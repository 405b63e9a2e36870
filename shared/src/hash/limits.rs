//! Bounds on what a stored hash may ask of the machine that verifies it.
//!
//! An imported hash chooses its own cost parameters, so without bounds one import could
//! make every later login attempt for that identity allocate gigabytes or spin for minutes.
//! Where Kratos later added bounds for the same reason (after v1.3), the numbers are the
//! same as Kratos's; the rest are this project's own and are marked so.

/// Longest stored hash string accepted (this project's bound). Real hashes are at most a
/// few hundred characters; the bound keeps template formats from expanding without limit.
pub const MAX_HASH_CHARS: usize = 4096;

/// Longest password hashed or verified, in bytes (this project's bound; Kratos has none
/// except bcrypt's 72). The crypt(3) schemes cost rounds × password length, so an
/// unbounded password would let anyone who knows an identifier burn CPU at login.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// bcrypt reads at most 72 bytes of a password; Kratos refuses longer ones rather than
/// silently ignore the rest.
pub const BCRYPT_MAX_PASSWORD_BYTES: usize = 72;

/// Largest bcrypt cost (Kratos: 15, about 2 s per verification).
pub const BCRYPT_MAX_COST: u32 = 15;

/// Largest argon2 memory, in KiB (Kratos: 1 GiB).
pub const ARGON2_MAX_MEMORY_KIB: u32 = 1 << 20;
/// Largest argon2 iteration count (Kratos: 10).
pub const ARGON2_MAX_ITERATIONS: u32 = 10;
/// Largest argon2 parallelism (Kratos: 16).
pub const ARGON2_MAX_PARALLELISM: u32 = 16;

/// Largest PBKDF2 work: iterations times output blocks (Kratos bounds iterations alone at
/// 10,000,000; counting blocks too stops a long output from multiplying the work).
pub const PBKDF2_MAX_WORK: u64 = 10_000_000;

/// Largest scrypt N (Kratos: 2^17, 128 MiB at r = 8).
pub const SCRYPT_MAX_N: u64 = 1 << 17;
/// Largest scrypt and firescrypt r (Kratos: 8).
pub const SCRYPT_MAX_R: u32 = 8;
/// Largest scrypt and firescrypt p (Kratos: 10).
pub const SCRYPT_MAX_P: u32 = 10;
/// Largest firescrypt `ln` (log2 of N; Kratos: 17).
pub const FIRESCRYPT_MAX_LOG_N: u32 = 17;

/// Largest sha256-crypt/sha512-crypt rounds (this project's bound; Kratos has none).
/// Covers glibc's default (5,000), passlib's (535,000 and 656,000) and go-crypt's (up to
/// 1,000,000).
pub const SHA_CRYPT_MAX_ROUNDS: u32 = 1_000_000;

/// Shortest derived key or digest accepted from a stored hash. Kratos accepts an empty
/// PBKDF2 or scrypt key, which then matches every password; four bytes is argon2's floor.
pub const MIN_DIGEST_BYTES: usize = 4;

/// Longest salt, key, digest or template decoded from a stored hash (this project's bound).
pub const MAX_FIELD_BYTES: usize = 1024;
