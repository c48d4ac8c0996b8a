//! SPEC §6: the state of an access request follows from its fields.
use crate::classify::AccessFields;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessStatus {
    NeedsInfo,
    PendingApproval,
    Approved,
    Rejected,
}

impl AccessStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessStatus::NeedsInfo => "needs_info",
            AccessStatus::PendingApproval => "pending_approval",
            AccessStatus::Approved => "approved",
            AccessStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<AccessStatus> {
        [
            AccessStatus::NeedsInfo,
            AccessStatus::PendingApproval,
            AccessStatus::Approved,
            AccessStatus::Rejected,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

/// Complete requests wait for staff; anything missing or invalid is asked for.
pub fn status_of(fields: &AccessFields) -> AccessStatus {
    if fields.missing.is_empty() {
        AccessStatus::PendingApproval
    } else {
        AccessStatus::NeedsInfo
    }
}

/// A new mail about a request staff already decided must not reopen it.
pub fn may_update(current: AccessStatus) -> bool {
    matches!(
        current,
        AccessStatus::NeedsInfo | AccessStatus::PendingApproval
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_fields_mean_needs_info() {
        let mut f = AccessFields::default();
        assert_eq!(status_of(&f), AccessStatus::PendingApproval);
        f.missing.push("mobile".into());
        assert_eq!(status_of(&f), AccessStatus::NeedsInfo);
        assert!(!may_update(AccessStatus::Approved));
    }
}
