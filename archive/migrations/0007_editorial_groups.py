"""The two editorial roles as groups (see archive/services.py, "editorial workflow").

Editor: everything in the archive, publishes and deletes. Translator: reads everything, edits
translations and their metadata (language versions, translator credits, people), cannot publish,
delete, or change the original, the glossary or the actor register.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

TRANSLATOR = [
    "view_article",
    "translate_article",
    "view_rendition",
    "change_rendition",
    "view_queueitem",
    "view_translatorship",
    "add_translatorship",
    "change_translatorship",
    "view_authorship",
    "view_person",
    "add_person",
    "view_outlet",
    "view_actor",
    "view_actoralias",
    "view_mention",
    "view_glossaryterm",
]


def create_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    archive = Permission.objects.filter(content_type__app_label="archive")
    editor, _ = Group.objects.get_or_create(name="Editor")
    editor.permissions.add(*archive)
    translator, _ = Group.objects.get_or_create(name="Translator")
    found = list(archive.filter(codename__in=TRANSLATOR))
    missing = set(TRANSLATOR) - {p.codename for p in found}
    if missing:
        raise RuntimeError(f"permissions not found: {sorted(missing)}")
    translator.permissions.set(found)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Editor", "Translator"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0006_editorial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
