from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = _("Archive")

    def ready(self) -> None:
        # The revision history (django-reversion). Registered here, after modeltranslation (an
        # earlier app) has added the per-language columns, so that versions store every language's
        # text. The search vectors and facet keys are derived, so they are left out.
        import reversion

        from archive import checks  # noqa: F401 — registers the system checks
        from archive.models import (
            Actor,
            ActorAlias,
            Article,
            Authorship,
            GlossaryTerm,
            Rendition,
            Translatorship,
            search_columns,
        )

        vectors = search_columns()
        vectors.append("facet_keys")
        registrations = [
            (Article, {"exclude": vectors, "follow": ["authorships"]}),
            (Rendition, {"follow": ["translatorships"]}),
            (Authorship, {}),
            (Translatorship, {}),
            (Actor, {"follow": ["aliases"]}),
            (ActorAlias, {}),
            (GlossaryTerm, {}),
        ]
        for model, options in registrations:
            # The admin's VersionAdmin (autodiscovered first) may have registered some already.
            if not reversion.is_registered(model):
                reversion.register(model, **options)
