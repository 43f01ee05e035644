"""Prefect flows around the pipeline stages (see issue 4); nothing else imports Prefect."""
