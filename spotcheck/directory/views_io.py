from django.http import Http404


def _todo(*args, **kwargs):  # placeholder: replaced by the import/export implementation
    raise Http404


export_list = download_template = import_upload = import_status = _todo
