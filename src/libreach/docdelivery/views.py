"""The ISO 18626 endpoint: XML in, the confirmation out (exchange.py does the work)."""

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from libreach.docdelivery import exchange


@csrf_exempt  # a member's system, not a browser: no session, no cookie to forge
@require_POST
def iso18626_endpoint(request):
    status, answer = exchange.receive(request.body)
    return HttpResponse(answer, status=status, content_type="application/xml; charset=utf-8")
