from django.shortcuts import render


def render_page(request, template: str, context: dict, *, partial: str | None = None):
    """Render the full page, or only `partial` when the request comes from htmx."""
    if partial and getattr(request, "htmx", False):
        return render(request, partial, context)
    return render(request, template, context)
