//! Port ranges as `open-port`, `close-port` and `opened-ports` write them:
//! `80/tcp`, `8000-8100/udp`, `icmp`.

use std::fmt;
use std::str::FromStr;

use super::Protocol;

/// A port or port range with its protocol, or ICMP.
///
/// ```
/// use reactive_core::tools::ports::PortRange;
/// use reactive_core::tools::Protocol;
/// let range: PortRange = "8000-8100/tcp".parse().unwrap();
/// assert_eq!(range, PortRange::range(8000, 8100, Protocol::Tcp).unwrap());
/// assert_eq!(range.to_string(), "8000-8100/tcp");
/// assert_eq!("icmp".parse::<PortRange>().unwrap(), PortRange::Icmp);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PortRange {
    /// ICMP (no port).
    Icmp,
    /// Ports `from` to `to` (inclusive; equal for one port).
    Ports {
        /// The first port (1 or more).
        from: u16,
        /// The last port (`from` or more).
        to: u16,
        /// TCP or UDP.
        protocol: Protocol,
    },
}

impl PortRange {
    /// One port.
    pub fn port(port: u16, protocol: Protocol) -> Result<Self, String> {
        PortRange::range(port, port, protocol)
    }

    /// Ports `from` to `to`: both 1 or more, `from` no more than `to`.
    pub fn range(from: u16, to: u16, protocol: Protocol) -> Result<Self, String> {
        if from == 0 {
            return Err("port 0 is not a port Juju opens; ports are 1 to 65535".to_string());
        }
        if from > to {
            return Err(format!("port range {from}-{to} ends before it starts"));
        }
        Ok(PortRange::Ports { from, to, protocol })
    }

    /// The single port and protocol, when this is one TCP or UDP port.
    pub fn single(&self) -> Option<(u16, Protocol)> {
        match *self {
            PortRange::Ports { from, to, protocol } if from == to => Some((from, protocol)),
            _ => None,
        }
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PortRange::Icmp => f.write_str("icmp"),
            PortRange::Ports { from, to, protocol } if from == to => {
                write!(f, "{from}/{protocol}")
            }
            PortRange::Ports { from, to, protocol } => write!(f, "{from}-{to}/{protocol}"),
        }
    }
}

impl FromStr for PortRange {
    type Err = String;

    /// Parse Juju's forms: `icmp`, `PORT[/PROTOCOL]`, `FROM-TO[/PROTOCOL]`
    /// (TCP when no protocol is given, as Juju does).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim().to_ascii_lowercase();
        if text == "icmp" {
            return Ok(PortRange::Icmp);
        }
        let (ports, protocol) = match text.split_once('/') {
            Some((ports, "tcp")) => (ports, Protocol::Tcp),
            Some((ports, "udp")) => (ports, Protocol::Udp),
            Some((_, other)) => {
                return Err(format!(
                    "invalid protocol {other:?} in port range {s:?}; expected tcp, udp or icmp"
                ))
            }
            None => (text.as_str(), Protocol::Tcp),
        };
        let number = |n: &str| {
            n.parse::<u16>()
                .map_err(|_| format!("invalid port {n:?} in port range {s:?}"))
        };
        match ports.split_once('-') {
            Some((from, to)) => PortRange::range(number(from)?, number(to)?, protocol),
            None => PortRange::port(number(ports)?, protocol),
        }
    }
}

/// The endpoints an opened port range applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PortEndpoints {
    /// Every endpoint (`*` in `opened-ports --endpoints`).
    All,
    /// These endpoints, sorted.
    Only(Vec<String>),
}

/// One line of `opened-ports --endpoints --format=json`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OpenedPort {
    /// The port range.
    pub range: PortRange,
    /// The endpoints it is opened for.
    pub endpoints: PortEndpoints,
}

impl FromStr for OpenedPort {
    type Err = String;

    /// Parse `80/tcp`, `80/tcp (*)` or `8000-8100/udp (db, website)`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let (range, endpoints) = match text.split_once(' ') {
            None => (text, PortEndpoints::All),
            Some((range, rest)) => {
                let inner = rest
                    .trim()
                    .strip_prefix('(')
                    .and_then(|r| r.strip_suffix(')'))
                    .ok_or_else(|| format!("invalid opened port {s:?}"))?;
                let names: Vec<String> = inner
                    .split(',')
                    .map(|e| e.trim().to_string())
                    .filter(|e| !e.is_empty())
                    .collect();
                if names.is_empty() || names.iter().any(|n| n == "*") {
                    (range, PortEndpoints::All)
                } else {
                    (range, PortEndpoints::Only(names))
                }
            }
        };
        Ok(OpenedPort {
            range: range.parse()?,
            endpoints,
        })
    }
}

/// Check the endpoint names given to `open-port --endpoints`: each
/// non-empty, without commas or white space.
pub(crate) fn check_endpoints(endpoints: &[String]) -> Result<(), String> {
    for endpoint in endpoints {
        if endpoint.is_empty()
            || endpoint
                .chars()
                .any(|c| c == ',' || c.is_whitespace() || c.is_control())
        {
            return Err(format!("invalid endpoint name {endpoint:?}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_jujus_forms() {
        for (text, want) in [
            ("80/tcp", "80/tcp"),
            ("53/udp", "53/udp"),
            ("80", "80/tcp"),
            ("8000-8100/tcp", "8000-8100/tcp"),
            ("ICMP", "icmp"),
            ("443-443/tcp", "443/tcp"),
        ] {
            assert_eq!(text.parse::<PortRange>().unwrap().to_string(), want);
        }
        for bad in ["0/tcp", "80/sctp", "100-90/tcp", "x/tcp", "70000/tcp", ""] {
            assert!(bad.parse::<PortRange>().is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_endpoint_lists() {
        let port: OpenedPort = "8000-8100/udp (db, website)".parse().unwrap();
        assert_eq!(
            port.endpoints,
            PortEndpoints::Only(vec!["db".into(), "website".into()])
        );
        let port: OpenedPort = "80/tcp (*)".parse().unwrap();
        assert_eq!(port.endpoints, PortEndpoints::All);
        assert!("80/tcp (db".parse::<OpenedPort>().is_err());
    }
}
