//! What a route answers: status, headers and a JSON (or text) body — or nothing at all, when the
//! connection is to be dropped.

use http::StatusCode;
use serde_json::Value;

#[derive(Debug, Clone)]
pub enum Body {
    Empty,
    Json(Value),
    Text(String),
}

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(String, String)>,
    pub body: Body,
    /// Close the connection without answering (a dropped-connection fault, or no such host).
    pub drop_connection: bool,
    /// A write request the service answered without changing anything (logged as a read).
    pub changed_nothing: bool,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers: Vec::new(),
            body: Body::Json(body),
            drop_connection: false,
            changed_nothing: false,
        }
    }

    pub fn ok(body: Value) -> Self {
        Self::json(200, body)
    }

    pub fn empty(status: u16) -> Self {
        Self {
            body: Body::Empty,
            ..Self::json(status, Value::Null)
        }
    }

    pub fn text(status: u16, text: impl Into<String>) -> Self {
        Self {
            body: Body::Text(text.into()),
            ..Self::json(status, Value::Null)
        }
    }

    /// No answer: the connection is closed.
    pub fn drop_connection() -> Self {
        Self {
            drop_connection: true,
            ..Self::empty(0)
        }
    }

    /// Marks a write request as one that changed nothing (ARM's create-if-not-exist of a key
    /// that exists), so the request log does not count it as a write.
    pub fn changed_nothing(mut self) -> Self {
        self.changed_nothing = true;
        self
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn has_header(&self, name: &str) -> bool {
        self.header_value(name).is_some()
    }

    /// The status code as logged (0 for a dropped connection).
    pub fn logged_status(&self) -> u16 {
        if self.drop_connection {
            0
        } else {
            self.status.as_u16()
        }
    }
}
