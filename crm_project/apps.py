from django.apps import AppConfig


class CrmProjectConfig(AppConfig):
    name = "crm_project"
    verbose_name = "CRM"

    def ready(self):
        from .fragments import watch_settings_models

        watch_settings_models()
