"""The respondent journey: invitation link, one page per section, check answers, result."""

from flask import Flask
from jinja2 import PackageLoader, PrefixLoader

from .result import level_text


def init_app(app: Flask) -> None:
    """Register the journey's pages, the staff round pages and the field templates."""
    from . import (  # noqa: F401 (their routes)
        coming_back,
        help_pages,
        listing_pages,
        private_pages,
        reminder_pages,
        result_pages,
        staff,
        views,
    )

    # The design-system field widgets render their own templates (govuk_frontend_wtf/...).
    loader = PrefixLoader({"govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf")})
    loaders = getattr(app.jinja_loader, "loaders", None)
    if loaders is not None and loader not in loaders:
        loaders.append(loader)
    app.register_blueprint(views.bp)
    app.register_blueprint(staff.bp)
    app.add_template_global(level_text, "level_text")
