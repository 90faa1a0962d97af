"""Static files storage for production: whitenoise's compressed (Brotli, gzip), hashed files.

xstatic-jquery-ui's theme CSS names image files inside a comment (a ThemeRoller URL with
`url(%22images/…%22)` in it) that the package does not ship; Django's hashing reads them as
references and `collectstatic` fails. References in that third-party CSS that point at no file
are left as they are; our own CSS stays strict.
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage

TOLERANT_PREFIXES = ("jquery-ui/",)


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def url_converter(self, name, hashed_files, template=None):
        convert = super().url_converter(name, hashed_files, template)
        if not name.startswith(TOLERANT_PREFIXES):
            return convert

        def tolerant(match):
            try:
                return convert(match)
            except ValueError:
                return match.group(0)

        return tolerant
