//! LimitRange and ResourceQuota objects as written (being written).
