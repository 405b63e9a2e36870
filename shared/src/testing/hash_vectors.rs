//! Known-answer vectors for every stored-hash format Kratos accepts on import: each hash
//! was produced by an independent reference tool (or published by the format's owner),
//! never by this crate. The hash module's own tests and the admin import tests share them.
//!
//! Tools used (in a throwaway virtualenv): Python 3.11 `hashlib`/`hmac`/`base64`,
//! argon2-cffi 25.1, bcrypt 5.0, passlib 1.7.4, pycryptodome (MD4), and OpenSSL 3.0
//! `openssl passwd`. Unless a vector says otherwise, `PW` is the password, and the Python
//! snippets use `pw = PW.encode()`, `b64 = base64.b64encode(x).decode()` and
//! `rb64 = b64(x).rstrip("=")` (unpadded).

use crate::hash::HashFormat;

/// The password of most vectors.
pub const PW: &str = "correct horse battery staple";

/// A stored hash in `format` and the password it was made from.
#[derive(Debug, Clone, Copy)]
pub struct Vector {
    pub format: HashFormat,
    pub password: &'static str,
    pub hash: &'static str,
}

const fn v(format: HashFormat, hash: &'static str) -> Vector {
    Vector {
        format,
        password: PW,
        hash,
    }
}

/// Every vector; each format of [`HashFormat::ALL`] has at least one.
pub const VECTORS: &[Vector] = &[
    // argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=32,
    //     salt_len=16).hash(pw)
    v(
        HashFormat::Argon2id,
        "$argon2id$v=19$m=19456,t=2,p=1$nxgrcGt1RXp2lGkLcSdTZQ$iNTAWoFwm6z00JFXb+JEWQZ5Fv2kMBXGMnGzBoKDIwk",
    ),
    // argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=2, hash_len=24,
    //     salt_len=12).hash("pässwörd ✓")
    Vector {
        format: HashFormat::Argon2id,
        password: "pässwörd ✓",
        hash: "$argon2id$v=19$m=8192,t=1,p=2$dTDWdogeDnzFPqhK$8wGCQC7jVZaW3hqqw3U1GlkyxeaFAjYm",
    },
    // argon2.low_level.hash_secret(pw, b"argon2i-salt-16b", time_cost=3, memory_cost=4096,
    //     parallelism=2, hash_len=32, type=Type.I)
    v(
        HashFormat::Argon2i,
        "$argon2i$v=19$m=4096,t=3,p=2$YXJnb24yaS1zYWx0LTE2Yg$vDTxrFF9THYLcQtnLR0nOHZ6FbeqQn/KFA2W4ECC3Zc",
    ),
    // bcrypt.hashpw(pw, bcrypt.gensalt(rounds=10, prefix=b"2a"))
    v(
        HashFormat::Bcrypt,
        "$2a$10$3j6qCwTvI2DmJi9D6T6x..MZRxuTWHB7jhkjqDsmIezD75ANLOc6S",
    ),
    // bcrypt.hashpw(pw, bcrypt.gensalt(rounds=4, prefix=b"2b"))
    v(
        HashFormat::Bcrypt,
        "$2b$04$NkZec0OyQdMEgUGLpFSYs.BnDNLiCYtpC/4a78.RI3R6Ay4knnhc6",
    ),
    // Kratos ignores the minor letter, so the $2b$ vector above under $2z$ and under the
    // bare $2$ prefix must verify the same.
    v(
        HashFormat::Bcrypt,
        "$2z$04$NkZec0OyQdMEgUGLpFSYs.BnDNLiCYtpC/4a78.RI3R6Ay4knnhc6",
    ),
    v(
        HashFormat::Bcrypt,
        "$2$04$NkZec0OyQdMEgUGLpFSYs.BnDNLiCYtpC/4a78.RI3R6Ay4knnhc6",
    ),
    // PASSLIB_BUILTIN_BCRYPT=enabled; passlib.hash.bcrypt.set_backend("builtin");
    // passlib.hash.bcrypt.using(ident="2y", rounds=5).hash(pw)
    v(
        HashFormat::Bcrypt,
        "$2y$05$Tj.ZAWg7lK4L0BhQoYtnHOU0h/YZ2KS9M5rYrIRKcv/Igx/MjCdHS",
    ),
    // bcrypt.hashpw("pässwörd ✓".encode(), bcrypt.gensalt(rounds=4))
    Vector {
        format: HashFormat::Bcrypt,
        password: "pässwörd ✓",
        hash: "$2b$04$2BEY5vbXFgcHP74uOwO0wusWpajsQoZE.SthjZhnFEDsHG.b7Pnbu",
    },
    // bcrypt.hashpw(b"x" * 72, bcrypt.gensalt(rounds=4, prefix=b"2a")): the longest
    // password bcrypt (and Kratos) accepts.
    Vector {
        format: HashFormat::Bcrypt,
        password: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        hash: "$2a$04$M2ZO0StboFl9FgxQsPL2BeOacZllzKWoUait0NBTk1g9Li5ocdmoy",
    },
    // salt = b"pbkdf2-salt-0123"; key = hashlib.pbkdf2_hmac(ALG, pw, salt, I, 32);
    // f"$pbkdf2-{NAME}$i={I},l=32${rb64(salt)}${rb64(key)}" with (NAME, ALG, I) =
    // (sha1, "sha1", 10000), (sha224, "sha3_224", 1000), (sha256, "sha256", 10000),
    // (sha384, "sha3_384", 1000), (sha512, "sha512", 10000). Kratos computes
    // pbkdf2-sha224/-sha384 with SHA3 (fewer iterations there only because SHA3 is slow in
    // unoptimised test builds).
    v(
        HashFormat::Pbkdf2,
        "$pbkdf2-sha1$i=10000,l=32$cGJrZGYyLXNhbHQtMDEyMw$S0M/imVLzgz2SA39Elh0nLKKTv8/2Duflu7W/UmD+zY",
    ),
    v(
        HashFormat::Pbkdf2,
        "$pbkdf2-sha224$i=1000,l=32$cGJrZGYyLXNhbHQtMDEyMw$+/Uh/lq+RcA03+P3sOeK6iqNV7PDaouPaCxvIje8/bs",
    ),
    v(
        HashFormat::Pbkdf2,
        "$pbkdf2-sha256$i=10000,l=32$cGJrZGYyLXNhbHQtMDEyMw$502OaasqUtZW9kGNu9vFQJaqXuQRFhvwKcQspHFZXTw",
    ),
    v(
        HashFormat::Pbkdf2,
        "$pbkdf2-sha384$i=1000,l=32$cGJrZGYyLXNhbHQtMDEyMw$l3XKVQNw3W6cWkYWqxEpcqLoS9K5gd//STcJR8VTYBU",
    ),
    v(
        HashFormat::Pbkdf2,
        "$pbkdf2-sha512$i=10000,l=32$cGJrZGYyLXNhbHQtMDEyMw$YW+znwHKkoPIZpIaHrNX6Nht4xluGf0GMJhrkrjqSUs",
    ),
    // salt = b"scrypt-salt-0123456789abcdef";
    // key = hashlib.scrypt(pw, salt=salt, n=16384, r=8, p=1, dklen=32);
    // f"$scrypt$ln=16384,r=8,p=1${b64(salt)}${b64(key)}"
    v(
        HashFormat::Scrypt,
        "$scrypt$ln=16384,r=8,p=1$c2NyeXB0LXNhbHQtMDEyMzQ1Njc4OWFiY2RlZg==$Xgi7JYNFSeYj6I/lnYDOVWuPLJC951EUrg6vN1sAdnM=",
    ),
    // Published by Firebase (README of github.com/firebase/scrypt): password
    // "user1password", salt 42xEC+ixf3L2lw==, salt separator Bw==, rounds 8, mem_cost 14,
    // the signer key below, expected hash lSrf…5lQ==.
    Vector {
        format: HashFormat::Firescrypt,
        password: "user1password",
        hash: "$firescrypt$ln=14,r=8,p=1$42xEC+ixf3L2lw==$lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==$Bw==$jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
    },
    // passlib.hash.ldap_salted_sha1.hash(pw), ldap_salted_sha256.hash(pw),
    // ldap_salted_sha512.hash(pw)
    v(HashFormat::Ssha, "{SSHA}ekj/xxJPqn9rpdNpJV0CRC5AfNMBQAgh"),
    v(
        HashFormat::Ssha,
        "{SSHA256}Z3XHyJO/fcaBqIy4+Sf6GYUH9JBNPmGWmNsrTGcbklkAYAwBAOAc4w==",
    ),
    v(
        HashFormat::Ssha,
        "{SSHA512}6RnbqcOlHgPPyAWYv0ZZTBlSNT/poWY7HODZH7ajGHJ/+xD0DSViRLJB/B+OPCTYSP1zfUADuONegG+eohpeQat1zlnLeU+p",
    ),
    // salt = b"t3mpl@te-salt"; data = TEMPLATE with {SALT} and {PASSWORD} replaced;
    // f"${NAME}$pf={b64(TEMPLATE)}${b64(salt)}${b64(hashlib.new(NAME, data).digest())}"
    // with (NAME, TEMPLATE) = (sha1, b"{SALT}{PASSWORD}"), (sha256, b"{PASSWORD}{SALT}"),
    // (sha512, b"{SALT}$${PASSWORD}").
    v(
        HashFormat::Sha,
        "$sha1$pf=e1NBTFR9e1BBU1NXT1JEfQ==$dDNtcGxAdGUtc2FsdA==$YCFP7l3k/KZvPgLPBRASuPOfGj8=",
    ),
    v(
        HashFormat::Sha,
        "$sha256$pf=e1BBU1NXT1JEfXtTQUxUfQ==$dDNtcGxAdGUtc2FsdA==$LEvC06NNSCJ8C8LeFaxq+sRkg4jbI4eXkJg5Rt7uHPM=",
    ),
    v(
        HashFormat::Sha,
        "$sha512$pf=e1NBTFR9JCR7UEFTU1dPUkR9$dDNtcGxAdGUtc2FsdA==$k5vlm9K3bY9xVya5ZH8G2v8DiXfeJwv+7yrQMf7AV67XPfQGItHLWHK7m4CUiRhXAOE6z2xmmoQ6/HZvif96yg==",
    ),
    // "$md5$" + b64(hashlib.md5(pw).digest())
    v(HashFormat::Md5, "$md5$nMKuihunqT2jm0b8EBnEgQ=="),
    // template = b"{PASSWORD}:{SALT}"; salt = b"t3mpl@te-salt";
    // f"$md5$pf={b64(template)}${b64(salt)}${b64(hashlib.md5(pw + b':' + salt).digest())}"
    v(
        HashFormat::Md5,
        "$md5$pf=e1BBU1NXT1JEfTp7U0FMVH0=$dDNtcGxAdGUtc2FsdA==$P67cwGF+vMj6BsLVBjr3jA==",
    ),
    // openssl passwd -1 -salt 'x7Qp.9/z' PW → $1$x7Qp.9/z$FufNA1HSzQSH3PVjj8n8q/, stored
    // under Kratos's prefix ($1$ → $md5-crypt$).
    v(
        HashFormat::Md5Crypt,
        "$md5-crypt$x7Qp.9/z$FufNA1HSzQSH3PVjj8n8q/",
    ),
    // openssl passwd -1 -salt 'x7Qp.9/z' 'pässwörd ✓'
    Vector {
        format: HashFormat::Md5Crypt,
        password: "pässwörd ✓",
        hash: "$md5-crypt$x7Qp.9/z$IZPZnynL2ojNqaC5.245L/",
    },
    // passlib.hash.md5_crypt.using(salt="").hash(pw) → $1$$zoYV…: an empty salt.
    v(HashFormat::Md5Crypt, "$md5-crypt$$zoYVCpjXXFW7mz9BsFHro."),
    // openssl passwd -5 -salt 'x7Qp.9/z' PW (rounds omitted: 5000)
    v(
        HashFormat::Sha256Crypt,
        "$sha256-crypt$x7Qp.9/z$NyTTLd3zNMKD79BDTnD/uNDHp.zMXvd4Rpw54Az8He6",
    ),
    // passlib.hash.sha256_crypt.using(rounds=10000, salt="roundsSalt16char").hash(pw)
    v(
        HashFormat::Sha256Crypt,
        "$sha256-crypt$rounds=10000$roundsSalt16char$C1suo05VHl4BdxSeBYtihx7nXVc6EshBXmimvjauFJ2",
    ),
    // openssl passwd -6 -salt 'x7Qp.9/z' PW
    v(
        HashFormat::Sha512Crypt,
        "$sha512-crypt$x7Qp.9/z$fpJ0i4/XKEiI3yUguG8lH9A3IxBunIOcFycQW3/dopwrdt6rUJFZKv73PJELZiNqubv3gaRQd6PKc2y9Luqpb0",
    ),
    // passlib.hash.sha512_crypt.using(rounds=10000, salt="pQ9/x.Zr").hash(pw)
    v(
        HashFormat::Sha512Crypt,
        "$sha512-crypt$rounds=10000$pQ9/x.Zr$uzwi9V7C0FdSbrq4CDMpB51LMvSUn1x1AUMh1QAWNUDwAaXuHLPAwBN0NmLYZhcWWX0yp/2g2du4HFduIqGgc0",
    ),
    // key = b"hmac-key"; mac = hmac.new(key, pw, NAME).hexdigest().encode();
    // f"$hmac-{NAME}${b64(mac)}${b64(key)}" for NAME in md5, sha1, sha224, sha256, sha384,
    // sha512; for md4 the digestmod is Crypto.Hash.MD4 (pycryptodome).
    v(
        HashFormat::Hmac,
        "$hmac-md4$YTJlMzg0ZWMyYTFkNDFiNmJhYTNhNzBmNTVmYzRlZDc=$aG1hYy1rZXk=",
    ),
    v(
        HashFormat::Hmac,
        "$hmac-md5$MjA0MWNkN2JlMjliMzgwMTM0OTgzNmE2NzlmN2UzOWM=$aG1hYy1rZXk=",
    ),
    v(
        HashFormat::Hmac,
        "$hmac-sha1$YzY5N2FiYmJmMGQ5M2I0YzJkYTk2MDRkOWE5ODY1NWY2OGQ2MTFhYw==$aG1hYy1rZXk=",
    ),
    v(
        HashFormat::Hmac,
        "$hmac-sha224$YTVjYjg1ZjFmYjlkYzlmNWNmMDEyMWM0MmYyYzVhZGQ2YzYwOGFmNmNhZjI5YTAwNGIwZmJhOTE=$aG1hYy1rZXk=",
    ),
    v(
        HashFormat::Hmac,
        "$hmac-sha256$ZTFjMTRhYTM4YTEwMDZlNmFiZjA1N2QwNmYyZjhjZTEzYzdhMzk0NDk4M2E2Nzg0ZDFiNGMxZGQ1NjQ5NTEwYg==$aG1hYy1rZXk=",
    ),
    v(
        HashFormat::Hmac,
        "$hmac-sha384$ODg2MzY1NTc1NGEyNTQ2N2M3M2U3NGY2MjM5Y2VjOWEwYTM1ZGQxZTUwMGM5YjEyZDY2YjYzMmQyMTEzYTJkNzdlNjI4OGMyZjU3Nzg2NGFkZWI1YzllNTNjNjEzMjJi$aG1hYy1rZXk=",
    ),
    v(
        HashFormat::Hmac,
        "$hmac-sha512$MGIzNmVhMjJhYWNhODg2Zjc2ZmU2NWFiN2Q2MTMwNDg4MDc3YjRiOTc4ZDZmOWU3ZGQ1NTZjNTlkN2E1ZDllMzY5NzkzZGZiZWVlMDRlMjk1ZmE3ZTBmZTY1NjIyMzRiZTQwMWFkYjE5YTMxY2RmOGE4NDBkYzZhN2Y5NzY5M2Q=$aG1hYy1rZXk=",
    ),
];
