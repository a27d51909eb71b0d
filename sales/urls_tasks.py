"""URLs of sales/views/tasks.py, inside the sales namespace."""

from django.urls import path

from .views import tasks

urlpatterns = [
    path("", tasks.TaskListView.as_view(), name="task-list"),
    path("new/", tasks.task_create, name="task-create"),
    path("<int:pk>/edit/", tasks.task_edit, name="task-edit"),
    path("<int:pk>/complete/", tasks.task_complete, name="task-complete"),
    path("<int:pk>/reopen/", tasks.task_reopen, name="task-reopen"),
    path("my-day/<slug:card>/", tasks.my_day_card, name="my-day-card"),
]
