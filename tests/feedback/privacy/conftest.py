from tests.feedback.api.conftest import api  # noqa: F401 - the bearer-token client fixture
