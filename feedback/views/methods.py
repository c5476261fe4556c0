"""methods views: filled in by the issue-3 work"""

urlpatterns: list = []
