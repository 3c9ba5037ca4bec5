"""gunicorn reads this file from the directory it starts in: access logs never hold a link."""

logger_class = "survey.serving.AccessLogger"
