//! Stream push: a running session's picture sent to a live-streaming address. The
//! emulator records whether a session is publishing and where; it sends no media.

use car_api::operations::*;
use car_api::service::ServiceError;
use car_api::ErrorCode;
use rusqlite::params;

use super::db::{self, invalid_value, refuse};
use super::sessions;
use super::CarState;
use crate::car::CallContext;

fn start_publishing(
    state: &CarState,
    cx: &CallContext,
    user_id: &str,
    url: Option<&str>,
    args: Option<&str>,
) -> Result<(), ServiceError> {
    db::write(&state.store, |tx| {
        let session = sessions::running(tx, &cx.account.uin, user_id)?;
        if session.publishing {
            return Err(refuse(
                ErrorCode::OperationDenied,
                format!("the session of UserId {user_id:?} is already publishing; StopPublishStream first"),
            ));
        }
        tx.execute(
            "UPDATE car_sessions SET publishing = 1, publish_url = ?3, publish_args = ?4
             WHERE account_uin = ?1 AND user_id = ?2",
            params![cx.account.uin, user_id, url, args],
        )?;
        Ok(())
    })
}

pub(crate) fn start(
    state: &CarState,
    cx: &CallContext,
    req: StartPublishStreamRequest,
) -> Result<StartPublishStreamResponse, ServiceError> {
    start_publishing(
        state,
        cx,
        &req.user_id,
        None,
        req.publish_stream_args.as_deref(),
    )?;
    Ok(StartPublishStreamResponse::default())
}

pub(crate) fn start_with_url(
    state: &CarState,
    cx: &CallContext,
    req: StartPublishStreamWithURLRequest,
) -> Result<StartPublishStreamWithURLResponse, ServiceError> {
    let url = req.publish_stream_url.as_str();
    let host = url
        .strip_prefix("rtmp://")
        .map(|rest| rest.split(['/', '?']).next().unwrap_or_default());
    if host.is_none_or(str::is_empty) {
        return Err(invalid_value(
            "PublishStreamURL",
            "an rtmp:// address with a host, e.g. rtmp://push.example.com/live/stream",
            url,
        ));
    }
    start_publishing(state, cx, &req.user_id, Some(url), None)?;
    Ok(StartPublishStreamWithURLResponse::default())
}

pub(crate) fn stop(
    state: &CarState,
    cx: &CallContext,
    req: StopPublishStreamRequest,
) -> Result<StopPublishStreamResponse, ServiceError> {
    db::write(&state.store, |tx| {
        let session = sessions::running(tx, &cx.account.uin, &req.user_id)?;
        if !session.publishing {
            return Err(refuse(
                ErrorCode::OperationDenied,
                format!("the session of UserId {:?} is not publishing", req.user_id),
            ));
        }
        tx.execute(
            "UPDATE car_sessions SET publishing = 0, publish_url = NULL, publish_args = NULL
             WHERE account_uin = ?1 AND user_id = ?2",
            params![cx.account.uin, req.user_id],
        )?;
        Ok(())
    })?;
    Ok(StopPublishStreamResponse::default())
}
