//! The table's physical definition. `template.yaml` declares the same table; the CLI's
//! `create-table` command builds it from here for emulators and for accounts without SAM.

/// Attribute names shared by both backends.
pub mod attr {
    pub const PK: &str = "pk";
    pub const SK: &str = "sk";
    pub const KIND: &str = "kind";
    pub const VERSION: &str = "v";
    pub const TTL: &str = "ttl";
    pub const BODY: &str = "body";
    pub const GSI1_PK: &str = "gsi1pk";
    pub const GSI1_SK: &str = "gsi1sk";
    pub const GSI2_PK: &str = "gsi2pk";
    pub const GSI2_SK: &str = "gsi2sk";
    pub const GSI3_PK: &str = "gsi3pk";
    pub const GSI3_SK: &str = "gsi3sk";
}

/// The global secondary indexes: (name, partition attribute, sort attribute).
pub const GLOBAL_INDEXES: [(&str, &str, &str); 3] = [
    ("gsi1", attr::GSI1_PK, attr::GSI1_SK),
    ("gsi2", attr::GSI2_PK, attr::GSI2_SK),
    ("gsi3", attr::GSI3_PK, attr::GSI3_SK),
];
