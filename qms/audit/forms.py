from django import forms


class AuditFilterForm(forms.Form):
    """The audit trail's filters, checked at the edge: a value that is not understood drops only its own filter
    (and the page says so) instead of reaching the database."""

    q = forms.CharField(label="Search", required=False, max_length=200)
    actor = forms.IntegerField(label="Person", required=False, min_value=1, max_value=2**63 - 1)
    type = forms.CharField(label="Object type", required=False, max_length=100)
    since = forms.DateField(label="From", required=False)
    until = forms.DateField(label="To", required=False)

    def __init__(self, data):
        super().__init__(data)
        self.is_valid()

    def filters(self) -> dict:
        """The keyword arguments of selectors.audit_events for the values that are valid."""
        data = self.cleaned_data
        return {
            "actor_id": data.get("actor"),
            "object_type": data.get("type") or None,
            "since": data.get("since"),
            "until": data.get("until"),
            "search": (data.get("q") or "").strip() or None,
        }

    def ignored(self) -> list[str]:
        return [self.fields[name].label for name in self.errors]
