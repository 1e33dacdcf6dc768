//! Last-line defence for text that leaves the process (error messages, log lines): anything that
//! looks like a JWT or a bearer credential is replaced by `***`. The first line of defence is that
//! request bodies, response bodies of token endpoints and `Authorization` headers are never
//! formatted at all.

/// Replaces JWT-shaped substrings (`eyJ…​.…​.…`) and `Bearer <value>` credentials with `***`.
pub fn scrub(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(len) = jwt_len(rest) {
            out.push_str("***");
            rest = &rest[len..];
            continue;
        }
        if let Some(len) = bearer_len(rest) {
            out.push_str("Bearer ***");
            rest = &rest[len..];
            continue;
        }
        let ch = rest.chars().next().expect("rest is not empty");
        out.push(ch);
        rest = &rest[ch.len_utf8()..];
    }
    out
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=')
}

/// Length of a JWT at the start of `s`: base64url `eyJ` header and at least two dots.
fn jwt_len(s: &str) -> Option<usize> {
    if !s.starts_with("eyJ") {
        return None;
    }
    let len = s.find(|c: char| !is_token_char(c)).unwrap_or(s.len());
    (s[..len].matches('.').count() >= 2 && len >= 20).then_some(len)
}

/// Length of `Bearer <credential>` at the start of `s` (case-insensitive scheme).
fn bearer_len(s: &str) -> Option<usize> {
    let head = s.get(..7)?;
    if !head.eq_ignore_ascii_case("bearer ") {
        return None;
    }
    let value = &s[7..];
    let len = value
        .find(|c: char| !(is_token_char(c) || c == '+' || c == '/'))
        .unwrap_or(value.len());
    (len >= 8).then_some(7 + len)
}

#[cfg(test)]
mod tests {
    use super::scrub;

    #[test]
    fn replaces_jwts_and_bearer_values() {
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJ0aWQiOiJ4In0.c2lnbmF0dXJl";
        assert_eq!(scrub(&format!("token {jwt} end")), "token *** end");
        assert_eq!(
            scrub("Authorization: Bearer abcdefgh12345678"),
            "Authorization: Bearer ***"
        );
        assert_eq!(
            scrub("no secrets here: eyJ alone, bearer x"),
            "no secrets here: eyJ alone, bearer x"
        );
        assert_eq!(scrub("ünïcode ok"), "ünïcode ok");
    }
}
