"""A page of a list read in one query: the page's rows, each carrying how many rows there are in all (a window
count), so paging needs no COUNT of its own. Django's Paginator counts first and reads the page after: two round
trips, for a figure the page's own rows can carry.

For short lists only, such as one patient's own rows or the messages that failed: to count them the window reads
every row of the list before the page's, where a COUNT can count an index alone and the page stop at its last row.
Lists that grow with the whole clinic (patients, the access log, the message log) page with Paginator."""

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window

# A page number past this reads as past the end: an offset too large for Postgres would fail the request.
PAGE_NUMBER_LIMIT = 100_000


def page_number(value) -> int:
    """The page an address asks for: missing, not a number or below one reads as the first."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), PAGE_NUMBER_LIMIT)


def page_read(queryset: QuerySet, *, per_page: int, number) -> Page:
    """Page `number` (as the address gives it) of an ordered queryset, with the page's rows evaluated (prefetches
    included) and Django's Page and Paginator around them for the templates' pager. A page past the end, as an old
    link may ask for, is the last page; that case alone costs a count and a second read."""
    counted = queryset.annotate(rows_in_all=Window(Count("pk")))
    number = page_number(number)
    rows = list(counted[(number - 1) * per_page : number * per_page])
    if rows:
        total = rows[0].rows_in_all
    elif number == 1:
        total = 0
    else:
        total = queryset.count()
        number = max(1, -(-total // per_page))
        rows = list(counted[(number - 1) * per_page : number * per_page])
    page = Paginator(range(total), per_page).page(number)
    page.object_list = rows
    return page
