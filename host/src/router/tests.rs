use super::*;
use crate::otlp::json;

fn two_tenants() -> Payload {
    let resource = |t: &str| {
        format!(
            r#"{{"resource":{{"attributes":[{{"key":"tenant.id","value":{{"stringValue":"{t}"}}}}]}},"scopeSpans":[{{"spans":[{{"name":"a"}},{{"name":"b"}}]}}]}}"#
        )
    };
    let line = format!(
        r#"{{"resourceSpans":[{},{},{{"scopeSpans":[{{"spans":[{{"name":"c"}}]}}]}}]}}"#,
        resource("acme"),
        resource("globex")
    );
    json::decode_line(&line).unwrap().remove(0)
}

#[test]
fn withheld_rows_are_counted_per_destination_and_tenant() {
    let payload = two_tenants();
    // Rows: acme a, acme b, globex a, globex b, (no tenant) c.
    let withheld = [0b01, 0b11, 0, 0b10, 0b10];
    let counts = count_withheld(&payload, &withheld, "tenant.id", "unknown");
    assert_eq!(
        counts,
        [
            (0, "acme".to_string(), 2),
            (1, "acme".to_string(), 1),
            (1, "globex".to_string(), 1),
            (1, "unknown".to_string(), 1),
        ]
    );
    assert!(count_withheld(&payload, &[0; 5], "tenant.id", "unknown").is_empty());
}
