//! Relay global ids: `base64("Type:key")`, opaque to clients.

use async_graphql::ID;
use base64::Engine as _;

/// The global id of a `type_name` row with `key`.
pub fn encode(type_name: &str, key: impl std::fmt::Display) -> ID {
    ID(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{type_name}:{key}")))
}

/// The type name and key inside a global id.
pub fn decode(id: &str) -> Option<(String, String)> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(id)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (t, k) = text.split_once(':')?;
    Some((t.to_string(), k.to_string()))
}

/// The numeric key of a global id of `type_name`.
pub fn decode_as(id: &str, type_name: &str) -> Option<i64> {
    let (t, k) = decode(id)?;
    (t == type_name).then(|| k.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trips() {
        let id = super::encode("Organisation", 7);
        assert_eq!(super::decode_as(&id, "Organisation"), Some(7));
        assert_eq!(super::decode_as(&id, "Province"), None);
        assert_eq!(super::decode("!!"), None);
    }
}
