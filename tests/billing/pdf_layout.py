"""Where the text of a billing PDF stands on its pages, read from the layout WeasyPrint writes to the PDF (no PDF
text extractor is among the project's requirements, and the layout is what the PDF prints)."""

from dataclasses import dataclass

from weasyprint.formatting_structure import boxes

from apps.billing.documents import pdf_document

PT_PER_CSS_PX = 0.75  # WeasyPrint lays out in CSS pixels, 96 to the inch; a PDF point is 1/72 inch
SLACK_PT = 0.5  # rounding in the layout, far below anything a reader would see clipped


@dataclass(frozen=True)
class Word:
    """A run of text on a page, in points from the page's left edge, and the table cell it was set in if any."""

    text: str
    page: int
    left: float
    right: float
    cell: tuple[float, float] | None


@dataclass(frozen=True)
class Page:
    width: float
    printable: tuple[float, float]  # left and right edge of the area inside the page margins


def laid_out(template: str, context: dict) -> tuple[list[Page], list[Word]]:
    document = pdf_document(template, context)
    pages, words = [], []
    for number, page in enumerate(document.pages):
        box = page._page_box
        left = box.content_box_x()
        pages.append(Page(page.width * PT_PER_CSS_PX, (left * PT_PER_CSS_PX, (left + box.width) * PT_PER_CSS_PX)))
        words.extend(_words(box, page=number, cell=None))
    return pages, words


def _words(box, *, page: int, cell):
    if isinstance(box, boxes.TableCellBox):
        cell = (box.border_box_x() * PT_PER_CSS_PX, (box.border_box_x() + box.border_width()) * PT_PER_CSS_PX)
    if isinstance(box, boxes.TextBox) and box.text.strip():
        left = box.position_x * PT_PER_CSS_PX
        yield Word(box.text, page, left, left + box.width * PT_PER_CSS_PX, cell)
    if isinstance(box, boxes.ParentBox):
        for child in box.children:
            yield from _words(child, page=page, cell=cell)


def outside_the_printable_area(pages: list[Page], words: list[Word]) -> list[Word]:
    return [
        w
        for w in words
        if w.left < pages[w.page].printable[0] - SLACK_PT or w.right > pages[w.page].printable[1] + SLACK_PT
    ]


def spilling_out_of_their_cells(words: list[Word]) -> list[Word]:
    return [w for w in words if w.cell and (w.left < w.cell[0] - SLACK_PT or w.right > w.cell[1] + SLACK_PT)]
