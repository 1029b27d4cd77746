"""Text that pages show in the request's language while the data underneath keeps its Chinese."""

from django.utils.translation import gettext, gettext_lazy


def gettext_noop(message):
    """Marks a Chinese label for the catalogue (makemessages knows the name) and returns it unchanged, like
    Django's, but without reading settings: the vocabularies are imported by scripts (the benchmarks' roster
    writer, the fake data) before Django is set up."""
    return message


def translated_choices(choices, empty=None):
    """Select options whose labels read in the request's language (a stored Chinese label is the msgid); the
    values, which are what is posted and stored, are unchanged. `empty`: the label of a leading "" option."""
    options = [(value, gettext_lazy(label)) for value, label in choices]
    return options if empty is None else [("", empty), *options]


def translate_labels(form):
    """A form's labels and help texts, taken from Chinese verbose names, in the request's language."""
    for field in form.fields.values():
        if field.label:
            field.label = gettext(field.label)
        if field.help_text:
            field.help_text = gettext(field.help_text)
    return form
