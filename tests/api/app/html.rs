//! Reading pages: the CSRF token of a form, a case code on a receipt, a row
//! of the inbox.

use uuid::Uuid;

/// The CSRF token in a page's form (`name="csrf" value="…"`).
pub fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\"").expect("page has a csrf field");
    let rest = &html[at..];
    let v = rest.find("value=\"").expect("csrf field has a value") + 7;
    let end = rest[v..].find('"').expect("value ends");
    rest[v..v + end].to_owned()
}

/// The submission token in a report form (`name="submission" value="…"`).
pub fn submission_of(html: &str) -> String {
    let at = html
        .find("name=\"submission\"")
        .expect("the report form has a submission token");
    let rest = &html[at..];
    let v = rest.find("value=\"").expect("the token has a value") + 7;
    let end = rest[v..].find('"').expect("value ends");
    rest[v..v + end].to_owned()
}

/// The case code on a receipt page (the element `id="case-code"`).
pub fn code_on_receipt(receipt: &str) -> String {
    let start = receipt
        .find("id=\"case-code\"")
        .expect("receipt shows the code");
    let rest = &receipt[start..];
    let open = rest.find('>').expect("the element's tag ends") + 1;
    let close = rest[open..].find('<').expect("the element ends");
    rest[open..open + close].trim().to_owned()
}

/// Finds a case code (six groups of four Crockford symbols) in a page.
pub fn find_case_code(html: &str) -> Option<String> {
    const ALPHABET: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let bytes = html.as_bytes();
    (0..bytes.len().saturating_sub(28)).find_map(|i| {
        let candidate = &html.get(i..i + 29)?;
        let ok = candidate.char_indices().all(|(j, c)| {
            if j % 5 == 4 {
                c == '-'
            } else {
                ALPHABET.contains(c)
            }
        });
        let bounded = i + 29 == bytes.len() || !bytes[i + 29].is_ascii_alphanumeric();
        let starts = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        (ok && bounded && starts).then(|| candidate.to_string())
    })
}

/// The inbox table row (`<tr …>` up to `</tr>`) of `case`, if listed.
pub fn inbox_row(html: &str, case: Uuid) -> Option<&str> {
    let at = html.find(&format!("/staff/cases/{case}"))?;
    let start = html[..at].rfind("<tr")?;
    let end = at + html[at..].find("</tr>")?;
    Some(&html[start..end])
}

#[test]
fn case_codes_are_found_in_text() {
    let html = "<p class=\"code\">7K3M-Q9DX-ABCD-EFGH-JKMN-PQRS</p>";
    assert_eq!(
        find_case_code(html).as_deref(),
        Some("7K3M-Q9DX-ABCD-EFGH-JKMN-PQRS")
    );
    assert_eq!(find_case_code("no code here"), None);
}
