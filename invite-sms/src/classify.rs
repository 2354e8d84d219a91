//! SMPP failures and the one place that decides whose fault each is (R7.2).

use invite_core::NotifyError;
use invite_core::notifier::BoxError;
use std::io;
use std::time::Duration;
use thiserror::Error;

/// What went wrong talking to the SMS centre, before [`classify`] decides what it means for
/// the message.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SmppError {
    /// The TCP connection could not be opened (refused, unreachable, DNS).
    #[error("cannot connect to the SMSC at {addr}: {source}")]
    Connect {
        /// `host:port`.
        addr: String,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// The TLS handshake failed (certificate, protocol), or the host name is not valid for TLS.
    #[error("TLS with the SMSC failed: {0}")]
    Tls(#[source] io::Error),
    /// The SMSC answered the bind with an error status: wrong password or system id, or a
    /// bind it does not allow.
    #[error("the SMSC refused the bind: {}", describe(*status))]
    BindRefused {
        /// The `command_status` of the bind response.
        status: u32,
    },
    /// The SMSC answered `submit_sm` with an error status.
    #[error("the SMSC rejected the message: {}", describe(*status))]
    Rejected {
        /// The `command_status` of `submit_sm_resp`.
        status: u32,
    },
    /// No answer in time: connecting, binding, or waiting for a response.
    #[error("no answer from the SMSC within {0:?}")]
    Timeout(Duration),
    /// The link went down, or the session was closed, before the answer came.
    #[error("the link to the SMSC is down: {0}")]
    LinkLost(String),
    /// The SMSC sent something that is not valid SMPP, or not the expected answer.
    #[error("SMPP protocol error: {0}")]
    Protocol(String),
}

/// Which request a client error answered, to tell a refused bind from a rejected message.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Request {
    Bind,
    Submit,
}

impl SmppError {
    /// Maps an error of the rusmppc client.
    pub(crate) fn from_client(e: rusmppc::error::Error, request: Request) -> Self {
        use rusmppc::error::Error as E;
        match e {
            E::UnexpectedResponse { response } => {
                let status = u32::from(response.status());
                match (status, request) {
                    (0, _) => SmppError::Protocol(format!(
                        "unexpected response {:?} to {request:?}",
                        response.id()
                    )),
                    (status, Request::Bind) => SmppError::BindRefused { status },
                    (status, Request::Submit) => SmppError::Rejected { status },
                }
            }
            E::ResponseTimeout { timeout, .. } | E::EnquireLinkTimeout { timeout } => {
                SmppError::Timeout(timeout)
            }
            E::Connect(source) => SmppError::Connect {
                addr: String::from("the SMSC"),
                source,
            },
            E::Io(e) => SmppError::LinkLost(e.to_string()),
            E::ConnectionClosed => SmppError::LinkLost("the session is closed".into()),
            E::ConnectionClosedByPeer => SmppError::LinkLost("the SMSC closed the link".into()),
            other => SmppError::Protocol(other.to_string()),
        }
    }
}

/// Throttled: the SMSC takes fewer messages per second than we sent.
pub(crate) const ESME_RTHROTTLED: u32 = 0x58;
/// The SMSC's message queue is full.
pub(crate) const ESME_RMSGQFUL: u32 = 0x14;
/// A system error at the SMSC.
pub(crate) const ESME_RSYSERR: u32 = 0x08;
/// The session is not bound for this request.
pub(crate) const ESME_RINVBNDSTS: u32 = 0x04;
/// Bind failed.
pub(crate) const ESME_RBINDFAIL: u32 = 0x0D;
/// Invalid password.
pub(crate) const ESME_RINVPASWD: u32 = 0x0E;
/// Invalid system id.
pub(crate) const ESME_RINVSYSID: u32 = 0x0F;
/// Invalid source address.
pub(crate) const ESME_RINVSRCADR: u32 = 0x0A;
/// Invalid destination address.
pub(crate) const ESME_RINVDSTADR: u32 = 0x0B;
/// Invalid destination TON.
pub(crate) const ESME_RINVDSTTON: u32 = 0x50;
/// Invalid destination NPI.
pub(crate) const ESME_RINVDSTNPI: u32 = 0x51;
/// Temporary application error ("ESME Receiver Temporary App Error Code").
pub(crate) const ESME_RX_T_APPN: u32 = 0x64;

/// SMPP 3.4 names of the statuses an SMSC commonly sends.
fn status_name(status: u32) -> Option<&'static str> {
    Some(match status {
        0x01 => "ESME_RINVMSGLEN",
        0x02 => "ESME_RINVCMDLEN",
        0x03 => "ESME_RINVCMDID",
        ESME_RINVBNDSTS => "ESME_RINVBNDSTS",
        0x05 => "ESME_RALYBND",
        ESME_RSYSERR => "ESME_RSYSERR",
        ESME_RINVSRCADR => "ESME_RINVSRCADR",
        ESME_RINVDSTADR => "ESME_RINVDSTADR",
        0x0C => "ESME_RINVMSGID",
        ESME_RBINDFAIL => "ESME_RBINDFAIL",
        ESME_RINVPASWD => "ESME_RINVPASWD",
        ESME_RINVSYSID => "ESME_RINVSYSID",
        ESME_RMSGQFUL => "ESME_RMSGQFUL",
        0x15 => "ESME_RINVSERTYP",
        0x45 => "ESME_RSUBMITFAIL",
        0x48 => "ESME_RINVSRCTON",
        0x49 => "ESME_RINVSRCNPI",
        ESME_RINVDSTTON => "ESME_RINVDSTTON",
        ESME_RINVDSTNPI => "ESME_RINVDSTNPI",
        0x53 => "ESME_RINVSYSTYP",
        ESME_RTHROTTLED => "ESME_RTHROTTLED",
        0x61 => "ESME_RINVSCHED",
        0x62 => "ESME_RINVEXPIRY",
        ESME_RX_T_APPN => "ESME_RX_T_APPN",
        0x65 => "ESME_RX_P_APPN",
        0x66 => "ESME_RX_R_APPN",
        0xFF => "ESME_RUNKNOWNERR",
        _ => return None,
    })
}

/// `ESME_RTHROTTLED (0x00000058)`, or the bare number for a status without a name.
pub fn describe(status: u32) -> String {
    match status_name(status) {
        Some(name) => format!("{name} ({status:#010x})"),
        None => format!("command_status {status:#010x}"),
    }
}

/// Classifies an SMPP failure for the dispatcher (R7.2). The one place that decides.
///
/// | failure | class | why |
/// |---------|-------|-----|
/// | `submit_sm_resp` `ESME_RTHROTTLED` (0x58), `ESME_RMSGQFUL` (0x14), `ESME_RSYSERR` (0x08), `ESME_RX_T_APPN` (0x64) | [`NotifyError::Transient`] | this message, now: the SMSC is busy; retry later |
/// | `submit_sm_resp` `ESME_RINVBNDSTS` (0x04), `ESME_RBINDFAIL`, `ESME_RINVPASWD`, `ESME_RINVSYSID` | [`NotifyError::Transport`] | the session, not the message |
/// | any other `submit_sm_resp` error: `ESME_RINVDSTADR` (0x0B), `ESME_RINVSRCADR` (0x0A), `ESME_RINVDSTTON`/`NPI` (0x50/0x51), … | [`NotifyError::Permanent`] | the SMSC judged this message and will judge it the same again |
/// | a refused bind (`ESME_RBINDFAIL` 0x0D, `ESME_RINVPASWD` 0x0E, `ESME_RINVSYSID` 0x0F, …), connection refused or lost, TLS failure, a timeout, a protocol error | [`NotifyError::Transport`] | the link to the SMSC, whoever the message is for: never fails an invitation |
pub fn classify(e: SmppError) -> NotifyError {
    enum Class {
        Transient,
        Permanent,
        Transport,
    }
    let class = match &e {
        SmppError::Rejected { status } => match *status {
            ESME_RTHROTTLED | ESME_RMSGQFUL | ESME_RSYSERR | ESME_RX_T_APPN => Class::Transient,
            ESME_RINVBNDSTS | ESME_RBINDFAIL | ESME_RINVPASWD | ESME_RINVSYSID => Class::Transport,
            _ => Class::Permanent,
        },
        SmppError::BindRefused { .. }
        | SmppError::Connect { .. }
        | SmppError::Tls(_)
        | SmppError::Timeout(_)
        | SmppError::LinkLost(_)
        | SmppError::Protocol(_) => Class::Transport,
    };
    let reason = e.to_string();
    let source = Some(Box::new(e) as BoxError);
    match class {
        Class::Transient => NotifyError::Transient { reason, source },
        Class::Permanent => NotifyError::Permanent { reason, source },
        Class::Transport => NotifyError::Transport { reason, source },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(status: u32) -> NotifyError {
        classify(SmppError::Rejected { status })
    }

    #[test]
    fn submit_statuses() {
        for status in [ESME_RTHROTTLED, ESME_RMSGQFUL, ESME_RSYSERR] {
            assert!(
                matches!(rejected(status), NotifyError::Transient { .. }),
                "{status:#x}"
            );
        }
        for status in [
            ESME_RINVDSTADR,
            ESME_RINVSRCADR,
            ESME_RINVDSTTON,
            ESME_RINVDSTNPI,
            0x45,
            0x1234,
        ] {
            assert!(
                matches!(rejected(status), NotifyError::Permanent { .. }),
                "{status:#x}"
            );
        }
        for status in [
            ESME_RINVBNDSTS,
            ESME_RBINDFAIL,
            ESME_RINVPASWD,
            ESME_RINVSYSID,
        ] {
            assert!(rejected(status).is_transport(), "{status:#x}");
        }
        assert_eq!(
            rejected(ESME_RTHROTTLED).reason(),
            "the SMSC rejected the message: ESME_RTHROTTLED (0x00000058)"
        );
    }

    #[test]
    fn link_failures_are_transport() {
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        let errors = [
            SmppError::BindRefused {
                status: ESME_RINVPASWD,
            },
            SmppError::BindRefused {
                status: ESME_RBINDFAIL,
            },
            SmppError::Connect {
                addr: "127.0.0.1:1".into(),
                source: refused,
            },
            SmppError::Tls(io::Error::other("bad certificate")),
            SmppError::Timeout(Duration::from_secs(5)),
            SmppError::LinkLost("reset".into()),
            SmppError::Protocol("garbage".into()),
        ];
        for e in errors {
            let text = e.to_string();
            assert!(classify(e).is_transport(), "{text}");
        }
    }
}
