"""The form of a survey's follow-up rule: which question, what its answer must be, and who is given the follow-up."""

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from qms.accounts.models import User
from qms.forms import CrispyMixin
from qms.notifications.forms import MemberField
from surveys.models import LoopRule, Question


class QuestionSelect(forms.Select):
    """The survey's questions, each option marked with the survey's language (its words, not the member's)."""

    language = ""

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        if self.language and option["value"]:
            option["attrs"]["lang"] = self.language
        return option


class LoopRuleForm(CrispyMixin, forms.Form):
    question_code = forms.ChoiceField(label=_("When the answer to"), widget=QuestionSelect)
    condition = forms.ChoiceField(label=_("Condition"), choices=LoopRule.Condition.choices)
    value = forms.CharField(
        label=_("Value"),
        max_length=200,
        help_text=_("A score for a scored question (NPS at most 6), a choice's value, or the words a text contains."),
    )
    assign_to = forms.ChoiceField(
        label=_("Give the follow-up to"),
        choices=LoopRule.AssignTo.choices,
        widget=forms.RadioSelect,
        initial=LoopRule.AssignTo.ACCOUNT_OWNER,
    )
    assignee = MemberField(
        label=_("Person"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nobody: the managers are told"),
        help_text=_("Who takes it when the customer has no account owner, or when no customer can be named."),
    )

    def __init__(self, *args: Any, questions: list[Question], members: Any, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        codes = cast(forms.ChoiceField, self.fields["question_code"])
        codes.choices = [(q.code, q.text) for q in questions]
        cast(QuestionSelect, codes.widget).language = language
        cast(MemberField, self.fields["assignee"]).queryset = members

    def rule_values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)
