"""django-modeltranslation registration: one column per language in settings.LANGUAGES."""

from modeltranslation.translator import TranslationOptions, register

from archive.models import Actor, Article, Outlet, Person


@register(Article)
class ArticleTranslationOptions(TranslationOptions):
    fields = ("title", "summary", "body")
    # Store "" rather than NULL for an empty language version: one kind of "empty".
    empty_values = ""


@register(Outlet)
class OutletTranslationOptions(TranslationOptions):
    fields = ("name",)
    empty_values = ""


@register(Person)
class PersonTranslationOptions(TranslationOptions):
    fields = ("name",)
    empty_values = ""


@register(Actor)
class ActorTranslationOptions(TranslationOptions):
    fields = ("name", "description")
    empty_values = ""
