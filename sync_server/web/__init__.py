"""The staff web app (coordinators, province officers, admins), inside the sync server's app.

Server-rendered HTML that works with JavaScript off; `static/htmx.min.js` and
`static/fieldkit.js` only enhance. Nothing is loaded from the internet (offices are often
offline), `/docs` included. `sync_server.api.app.create_app` calls `app.install_web`.

Conventions for pages (follow them and a new page needs no other plumbing):

- **Routes** live in `routes/<area>.py`, one `APIRouter(include_in_schema=False)` each, added in
  `app.py`. Routes are thin and synchronous (`def`): read through `sync_server.services` inside
  `with reading(session):`, commit after a write, render.
- **Who is asking**: depend on `SignedIn` (`deps.py`): a `Viewer` with `.user` and `.is_admin`.
  No live session → redirect to /login?next=…; one-time password → /password; volunteer → 403.
- **What they may see**: always through `sync_server.services.access` (one policy for the API,
  these pages and bundle import): `access.staff_unit(session, user, code)` for a unit page,
  `access.can_manage(user, access.entry_lineage(entry))` before changing an entry,
  `access.can_set_quota(user, unit)` for quotas. Its `AccessError` becomes the 403/404 page by
  itself (`errors.py`), with no figure of that unit on it.
- **Forms** are `method="post"` with `{{ csrf_field() }}` inside; the route depends on
  `CheckedForm` (`deps.py`), which refuses a missing, wrong or other session's token and a
  foreign Origin/Referer with the 403 page before anything changes. Reply to a good post with a
  303 redirect (or re-render the form with the error and a 4xx status).
- **Refusals**: `raise WebError(status, "message (an i18n key)", detail="technical")`.
- **Period**: depend on `PagePeriod` (`?period=YYYY`, default the current year in Vietnam).
- **Templates** extend `base.html` (blocks `title`, `crumbs`, `content`); partials start with
  `_`: `_macros.html` (`figure`, `bar`, `period_form`, `notice`, `as_of`), `_table.html` (a
  `figures.Table` in `table`), `_crumbs.html` (`crumbs` from `crumbs.crumb_items`). Render with
  `templating.render(request, "page.html", {...}, status)`, which adds `_`, `n`, `pct`, `day`,
  `moment`, `figure`, `bar`, `viewer`, `csrf_field`, `lang`, the security headers and
  `Cache-Control: no-store`.
- **Figures**: every number about a unit is a `figures.Figure(unit, service, metric, value)`,
  drawn with `{{ figure(f) }}` (and a progress bar with `{{ bar(percent) }}`): `data-unit`,
  `data-service`, `data-metric` and `data-value` (plain number; a percentage as a decimal such
  as 118.2). Use the tally's own percentage. Call these, not the `m.figure`/`m.bar` macros
  (their readable definition): a Jinja macro call per cell was half of a commune page's
  drawing. In loops, translate column names once before the loop (`{% set l_x = _("X") %}`),
  and let the route finish its database work before rendering.
- **Freshness**: a page with figures shows `{{ m.as_of(as_of) }}` with
  `as_of = laptops.last_sync_received(session, unit)` (when the unit's last sync arrived).
- **Charts**: `charts.py` draws inline SVG (`progress_bars`, `ranked_bars`, `line_chart`),
  each a named `role="img"`; put a table with the same numbers beside it.
- **Words**: English in templates and code, wrapped in `_()`; the Vietnamese is in
  `i18n.VI` (add every new text there). Numbers 1.234 and 12,5 %, dates dd/mm/yyyy in
  Asia/Ho_Chi_Minh, all from `fieldkit.domain.formatting` (via `n`, `pct`, `day`, `moment`).
- **JSON twin**: a data page at `/x` may have `/x.json` with the same figures (declare the
  `.json` route before the HTML one when the path ends in a parameter).
- **Styles**: one stylesheet, `static/fieldkit.css` (phone layout under 40rem, print rules at
  the end); no inline `style` or `<script>` (the Content-Security-Policy forbids them).
"""
