//! Offset/limit paging as streams of pages and of items, for the actions the spec marks
//! with a paginator (`DescribeApplicationList`, `DescribeApplicationProjects`,
//! `DescribeConcurrentPackages`).
//!
//! Paging stops on the first of: an empty page, a page shorter than the page size, or
//! the reported total reached. A server that ignores `Offset` (sending the same page
//! again) ends the stream with an error instead of looping.

use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};

use serde_json::Value;

use crate::error::{Error, ErrorKind};
use crate::meta::ActionMeta;
use crate::{Client, Operation};

/// The page size used when the request sets none: the size Tencent's own examples use.
pub const DEFAULT_PAGE_SIZE: i64 = 20;

/// A request the client can page through; generated for each paginated action.
pub trait Paginated: Operation + Clone {
    /// One entry of a page.
    type Item: Send + 'static;
    /// The request's offset (0 when unset).
    fn offset(&self) -> i64;
    /// Moves the request to another offset.
    fn set_offset(&mut self, value: i64);
    /// The request's page size, if set.
    fn limit(&self) -> Option<i64>;
    /// Sets the page size.
    fn set_limit(&mut self, value: i64);
    /// The number of matching entries the response reports, if it does.
    fn total(response: &Self::Response) -> Option<i64>;
    /// The number of entries on this page.
    fn page_len(response: &Self::Response) -> usize;
    /// Whether two pages hold the same entries.
    fn same_items(a: &Self::Response, b: &Self::Response) -> bool;
    /// The entries of a page, in the order the server sent them.
    fn into_items(response: Self::Response) -> Vec<Self::Item>;
}

/// Pages through one paginated request; made by the `*_paginator` client methods.
#[derive(Debug, Clone)]
pub struct Paginator<O> {
    client: Client,
    request: O,
}

struct Cursor<O: Paginated> {
    client: Client,
    request: O,
    limit: i64,
    previous: Option<O::Response>,
}

impl<O: Paginated> Paginator<O>
where
    O::Response: Clone,
{
    /// Starts at the request's own offset and page size ([`DEFAULT_PAGE_SIZE`] if unset).
    pub fn new(client: Client, request: O) -> Self {
        Paginator { client, request }
    }

    /// Every page, each one call. A failed call ends the stream with its error. The
    /// stream is boxed, so `next()`/`try_next()` work on it without pinning.
    pub fn pages(self) -> BoxStream<'static, Result<O::Response, Error>> {
        let start = self.cursor();
        stream::unfold(Some(start), |state| async move {
            let cursor = match state? {
                Ok(cursor) => cursor,
                Err(e) => return Some((Err(e), None)),
            };
            let (page, next) = cursor.step().await;
            Some((page, next.map(Ok)))
        })
        .boxed()
    }

    /// Every item of every page, in order.
    pub fn items(self) -> BoxStream<'static, Result<O::Item, Error>> {
        self.pages()
            .map_ok(|page| stream::iter(O::into_items(page).into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }

    /// The first cursor, or why the request cannot be paged (nothing is sent then).
    fn cursor(self) -> Result<Cursor<O>, Error> {
        let action = O::meta().name;
        let mut request = self.request;
        let limit = request.limit().unwrap_or(DEFAULT_PAGE_SIZE);
        if limit <= 0 {
            return Err(Error::invalid_request(
                Some("Limit"),
                format!("the paginator needs a positive page size; Limit is {limit}"),
            )
            .with_action(action));
        }
        if request.offset() < 0 {
            return Err(Error::invalid_request(
                Some("Offset"),
                format!("expected an offset of 0 or more, got {}", request.offset()),
            )
            .with_action(action));
        }
        request.set_limit(limit);
        Ok(Cursor {
            client: self.client,
            request,
            limit,
            previous: None,
        })
    }
}

impl<O: Paginated> Cursor<O>
where
    O::Response: Clone,
{
    /// Fetches one page; the cursor for the next one comes back only if there is one.
    async fn step(mut self) -> (Result<O::Response, Error>, Option<Self>) {
        let page = match self.client.send(self.request.clone()).await {
            Ok(page) => page,
            Err(e) => return (Err(e), None),
        };
        let len = O::page_len(&page);
        let repeated = self
            .previous
            .as_ref()
            .is_some_and(|p| O::same_items(p, &page));
        if len > 0 && repeated {
            let error = ignored_offset(O::meta().name, len, self.request.offset());
            return (Err(error), None);
        }
        let Some(next) = next_offset(self.request.offset(), len, self.limit, O::total(&page))
        else {
            return (Ok(page), None);
        };
        self.request.set_offset(next);
        self.previous = Some(page.clone());
        (Ok(page), Some(self))
    }
}

/// The offset of the next page, or `None` when this page was the last: it was empty or
/// short, or the total is reached.
fn next_offset(offset: i64, len: usize, limit: i64, total: Option<i64>) -> Option<i64> {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    let next = offset.saturating_add(len);
    // A total below what has already arrived is wrong (or a promised total the server
    // left out, read as 0): page on until a short or empty page rather than stop early.
    let total = total.filter(|&total| total >= next);
    (len > 0 && len >= limit && total.is_none_or(|total| next < total)).then_some(next)
}

fn ignored_offset(action: &'static str, len: usize, offset: i64) -> Error {
    Error::new(ErrorKind::InvalidResponse {
        status: 200,
        message: format!(
            "the server sent the same {len} entries for Offset {offset} as for the page before; it seems to ignore Offset, so paging stops here"
        ),
        snippet: String::new(),
    })
    .with_action(action)
}

/// How a paginated action pages, by wire names; [`crate::metadata::PAGINATORS`] lists them.
#[derive(Debug, Clone, Copy)]
pub struct PaginatorMeta {
    /// The action, e.g. `DescribeApplicationList`.
    pub action: &'static str,
    /// Input member with the number of entries to skip.
    pub offset: &'static str,
    /// Input member with the page size.
    pub limit: &'static str,
    /// Output member with the number of matching entries.
    pub total: &'static str,
    /// Output lists holding a page's entries.
    pub items: &'static [&'static str],
}

/// The paginator of an action, if it pages.
pub fn paginator_meta(action: &str) -> Option<&'static PaginatorMeta> {
    crate::metadata::PAGINATORS
        .iter()
        .find(|p| p.action == action)
}

fn number(
    params: &serde_json::Map<String, Value>,
    member: &str,
    default: i64,
) -> Result<i64, String> {
    match params.get(member) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_i64()
            .ok_or_else(|| format!("expected an integer for {member}, got {v}")),
    }
}

impl Client {
    /// Every page of a paginated action as one response: `params` as for
    /// [`Client::call_json`], the item lists of all pages concatenated, the other members
    /// (the total, `RequestId`) from the last page. Stops like [`Paginator`].
    pub async fn call_json_all_pages(
        &self,
        action: &'static ActionMeta,
        params: &Value,
    ) -> Result<Value, Error> {
        let invalid = |parameter: Option<&str>, message: String| {
            Error::invalid_request(parameter, message).with_action(action.name)
        };
        let Some(p) = paginator_meta(action.name) else {
            return Err(invalid(None, format!("{} does not page", action.name)));
        };
        let Value::Object(mut params) = params.clone() else {
            return Err(invalid(
                None,
                format!("expected a JSON object of parameters, got {params}"),
            ));
        };
        let limit =
            number(&params, p.limit, DEFAULT_PAGE_SIZE).map_err(|m| invalid(Some(p.limit), m))?;
        let mut offset = number(&params, p.offset, 0).map_err(|m| invalid(Some(p.offset), m))?;
        if limit <= 0 {
            let message = format!("paging needs a positive page size; {} is {limit}", p.limit);
            return Err(invalid(Some(p.limit), message));
        }
        if offset < 0 {
            let message = format!("expected an offset of 0 or more, got {offset}");
            return Err(invalid(Some(p.offset), message));
        }
        params.insert(p.limit.to_owned(), Value::from(limit));
        let mut merged: Vec<Vec<Value>> = vec![Vec::new(); p.items.len()];
        let mut previous: Option<Vec<Value>> = None;
        loop {
            params.insert(p.offset.to_owned(), Value::from(offset));
            let mut page = self
                .call_json(action, &Value::Object(params.clone()))
                .await?;
            let lists: Vec<Value> = p
                .items
                .iter()
                .map(|m| page.get(*m).cloned().unwrap_or(Value::Null))
                .collect();
            let len: usize = lists.iter().map(|l| l.as_array().map_or(0, Vec::len)).sum();
            if len > 0 && previous.as_ref() == Some(&lists) {
                return Err(ignored_offset(action.name, len, offset));
            }
            for (all, list) in merged.iter_mut().zip(&lists) {
                all.extend(list.as_array().into_iter().flatten().cloned());
            }
            let total = page.get(p.total).and_then(Value::as_i64);
            match next_offset(offset, len, limit, total) {
                Some(next) => {
                    offset = next;
                    previous = Some(lists);
                }
                None => {
                    if let Value::Object(members) = &mut page {
                        for (name, all) in p.items.iter().zip(merged) {
                            members.insert((*name).to_owned(), Value::Array(all));
                        }
                    }
                    return Ok(page);
                }
            }
        }
    }

    /// Pages through any paginated request; the generated `*_paginator` methods call it.
    pub fn paginate<O: Paginated>(&self, request: O) -> Paginator<O>
    where
        O::Response: Clone,
    {
        Paginator::new(self.clone(), request)
    }
}
