//! Juju's names for units and applications, and how Juju orders them.

/// The application of a unit name (`app/0` → `app`).
pub fn app_of(unit: &str) -> &str {
    unit.split_once('/').map(|(app, _)| app).unwrap_or(unit)
}

/// Order unit names as Juju does: by application, then unit number.
pub fn unit_order(a: &str, b: &str) -> std::cmp::Ordering {
    // Borrowed keys: sorting a thousand units allocates nothing.
    fn key(u: &str) -> (&str, u64, &str) {
        let (app, n) = u.split_once('/').unwrap_or((u, ""));
        (app, n.parse::<u64>().unwrap_or(u64::MAX), u)
    }
    key(a).cmp(&key(b))
}
