//! Why something could not be sent to or fetched from the central service, as one type:
//! the log and the outbox keep its English text (`Display`), staff read the causes they can
//! act on in a few words in Chinese or English ([`SyncProblem::for_staff`]), and `doctor`
//! and the staff screen tell them apart by kind — never by matching the text.

use capture_core::lang::Localized;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncProblem {
    #[error("cannot connect to the central service")]
    CannotConnect,
    #[error("no answer in time (time-out)")]
    TimedOut,
    /// The connection broke (cut mid-request, reset, TLS refused).
    #[error("network error: {0}")]
    Network(String),
    /// A 2xx answer that is not the service's (a captive portal, a proxy's page).
    #[error(
        "{call}: HTTP {status}, but the answer is not {expected} (a captive portal or a proxy?)"
    )]
    NotTheService {
        call: &'static str,
        status: u16,
        expected: &'static str,
    },
    #[error("{call}: HTTP {status}: redirected (a captive portal? log in to the network)")]
    Redirected { call: &'static str, status: u16 },
    /// 401: the kiosk's token, not the request; retried once staff fix `[sync] token`.
    #[error(
        "{call}: HTTP 401: the service does not accept this kiosk's token (check [sync] token): {message}"
    )]
    TokenRefused { call: &'static str, message: String },
    /// 408, 429: the service is busy; retried.
    #[error("{call}: HTTP {status}: {message}")]
    Busy {
        call: &'static str,
        status: u16,
        message: String,
    },
    /// 409: the service holds another photo under this capture's id; refused for good.
    #[error("{call}: HTTP 409: {message}")]
    Conflict { call: &'static str, message: String },
    /// Another 4xx: refused for good.
    #[error("{call}: HTTP {status}: {message}")]
    Refused {
        call: &'static str,
        status: u16,
        message: String,
    },
    /// 5xx (or anything else unexpected): retried.
    #[error("{call}: HTTP {status}: {message}")]
    ServerFault {
        call: &'static str,
        status: u16,
        message: String,
    },
    /// The photo file on this kiosk is gone or not the one accepted (the store's words).
    #[error("{0}")]
    PhotoDamaged(String),
    /// A receipt that does not name the capture or its photo's sha256.
    #[error("the service answered with a wrong receipt: {0}")]
    WrongReceipt(String),
    /// A roster version none of whose rows is valid on this kiosk.
    #[error(
        "roster version {version}: none of its {rows} rows is valid here (admission numbers of \
         {digits} digits?); kept the roster held, and will not fetch this version again"
    )]
    RosterUnusable {
        version: i64,
        rows: usize,
        digits: usize,
    },
    /// A roster version with no usable row, or under half the rows of the roster in use:
    /// the roster in use is kept until staff confirm (`capture-kiosk roster confirm`).
    #[error(
        "roster version {version} has {rows} usable rows against the {held} in use: kept the \
         roster in use; if the smaller one is right, confirm it with `capture-kiosk roster \
         confirm {version}`"
    )]
    RosterShrunk { version: i64, rows: u64, held: u64 },
    /// A roster version not newer than the one asked after: a service that lies (ignored).
    #[error("the service sent roster version {version}, asked for one newer than {seen}; ignored")]
    RosterNotNewer { version: i64, seen: i64 },
    /// An answer longer than any the service gives to this call (a proxy's, or a service
    /// that lies): dropped unread past the limit.
    #[error(
        "{call}: HTTP {status}: the answer is larger than {limit} bytes; not the service's, dropped"
    )]
    AnswerTooLarge {
        call: &'static str,
        status: u16,
        limit: usize,
    },
    /// Not tried in this pass because the service was found unreachable.
    #[error("not tried this pass: {0}")]
    Deferred(Box<SyncProblem>),
    /// The kiosk's own database failed during a pass.
    #[error("the kiosk's database: {0}")]
    Store(String),
}

impl SyncProblem {
    /// The problem for the staff screen and `doctor`, in a few words, for the causes staff
    /// can act on or should know; `None` for the rest (shown as they are).
    pub fn for_staff(&self) -> Option<Localized> {
        use SyncProblem as P;
        Some(match self {
            P::CannotConnect | P::Network(_) => Localized::fixed(
                "无法连接中心服务（网络断开？），稍后自动重试",
                "cannot reach the central service (network down?); retried automatically",
            ),
            P::TimedOut => Localized::fixed(
                "中心服务无响应（超时），稍后自动重试",
                "no answer from the central service in time; retried automatically",
            ),
            P::NotTheService { .. } | P::Redirected { .. } => Localized::fixed(
                "网络需要登录（认证页面），请先登录网络",
                "the network wants a log-in (captive portal); log in to it first",
            ),
            P::TokenRefused { .. } => Localized::fixed(
                "中心服务不接受本机令牌，请检查配置 [sync] token",
                "the service does not accept this kiosk's token; check [sync] token",
            ),
            P::Conflict { .. } => Localized::fixed(
                "中心服务已存有同一编号的另一张照片：请联系中心核对",
                "the service holds another photo under this capture's id: ask the central office",
            ),
            P::PhotoDamaged(_) => Localized::fixed(
                "本机照片文件丢失或损坏：请运行 capture-kiosk doctor",
                "a photo file on this kiosk is missing or damaged: run capture-kiosk doctor",
            ),
            P::ServerFault { .. } | P::Busy { .. } => Localized::fixed(
                "中心服务出错，稍后自动重试",
                "the central service has a fault; retried automatically",
            ),
            P::RosterUnusable { .. } => Localized::fixed(
                "中心发布的名单在本机无法使用（准考证号位数不符？），已保留原名单",
                "the roster the service published cannot be used here (admission number length?); the old one is kept",
            ),
            P::RosterShrunk { .. } => Localized::fixed(
                "中心发布的新名单比本机名单少一半以上（或为空），已保留原名单；如无误，请工作人员确认",
                "the service's new roster has under half the candidates of the one in use (or none); the old one is kept until staff confirm it",
            ),
            P::AnswerTooLarge { .. } => Localized::fixed(
                "中心服务（或网络中的代理）回应异常过大，已丢弃，稍后自动重试",
                "an answer far larger than the service's came back (a proxy?); dropped and retried automatically",
            ),
            P::Deferred(why) => return why.for_staff(),
            P::Refused { .. } | P::WrongReceipt(_) | P::RosterNotNewer { .. } | P::Store(_) => {
                return None;
            }
        })
    }

    /// Whether the service could not be reached at all (the rest of a pass waits).
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            SyncProblem::CannotConnect | SyncProblem::TimedOut | SyncProblem::Network(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_are_told_the_common_causes_in_both_languages() {
        let portal = SyncProblem::NotTheService {
            call: "PUT /v1/captures",
            status: 200,
            expected: "a receipt",
        };
        assert!(portal.for_staff().unwrap().zh.contains("认证页面"));
        assert!(portal.to_string().contains("captive portal"));
        let token = SyncProblem::TokenRefused {
            call: "GET /v1/roster",
            message: "unknown token".into(),
        };
        assert!(token.for_staff().unwrap().en.contains("token"));
        assert!(token.to_string().contains("HTTP 401"));
        let fault = SyncProblem::ServerFault {
            call: "PUT /v1/captures",
            status: 503,
            message: "(no message)".into(),
        };
        assert!(fault.for_staff().unwrap().zh.contains("出错"));
        assert!(
            SyncProblem::CannotConnect
                .for_staff()
                .unwrap()
                .en
                .contains("network down")
        );
        let deferred = SyncProblem::Deferred(Box::new(SyncProblem::TimedOut));
        assert_eq!(deferred.for_staff(), SyncProblem::TimedOut.for_staff());
        assert!(
            deferred
                .to_string()
                .starts_with("not tried this pass: no answer in time")
        );
        // A refusal staff cannot act on is shown as it is.
        let refused = SyncProblem::Refused {
            call: "PUT /v1/captures",
            status: 413,
            message: "too large".into(),
        };
        assert_eq!(refused.for_staff(), None);
        assert_eq!(refused.to_string(), "PUT /v1/captures: HTTP 413: too large");
    }

    #[test]
    fn rewording_a_message_does_not_change_what_staff_read() {
        // The staff text follows the kind: the same kind with any words says the same.
        let a = SyncProblem::Network("connection reset by peer".into());
        let b = SyncProblem::Network("没有路由".into());
        assert_eq!(a.for_staff(), b.for_staff());
        assert!(a.is_unreachable() && SyncProblem::TimedOut.is_unreachable());
        assert!(!SyncProblem::PhotoDamaged("x".into()).is_unreachable());
    }
}
