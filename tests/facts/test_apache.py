"""Apache's config as httpd reads it: <IfModule> against the modules really loaded, apachectl as
Debian's unit starts it, SSLProtocol "all" (SSLv3 and up: SSLv2 is gone from Apache 2.4)."""
from jcstar_agent.facts import daemons
from surface_testlib import make_ctx

CONF = ("Listen 80\n<IfModule ssl_module>\n  Listen 443\n</IfModule>\n"
        "<IfModule !mod_ssl.c>\n  Listen 8080\n</IfModule>\n")


def _ports(trees, files):
    ctx = make_ctx(trees(files))
    facts = daemons.read_daemon(ctx, ["/usr/sbin/apachectl", "start"], "apache2.service")
    return sorted(x.port for x in facts.listeners), facts


def test_ifmodule_follows_the_loaded_modules(trees):
    base = {"/usr/sbin/apache2": "x", "/etc/apache2/apache2.conf": "IncludeOptional mods-enabled/*.load\nInclude ports.conf\n",
            "/etc/apache2/ports.conf": CONF,
            "/etc/apache2/mods-enabled/mpm_event.load": "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\n"}
    ports, facts = _ports(trees, base)
    assert ports == [80, 8080] and {x.process for x in facts.listeners} == {"apache2"}
    with_ssl = dict(base, **{"/etc/apache2/mods-enabled/ssl.load":
                             "LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so\n"})
    assert _ports(trees, with_ssl)[0] == [80, 443]


def test_no_module_list_means_every_block_counts(trees):
    # a static build lists no LoadModule: what is loaded is unknown, so nothing is left out
    ports, _ = _ports(trees, {"/etc/apache2/apache2.conf": CONF})
    assert ports == [80, 443, 8080]


def test_sslprotocol_all_is_sslv3_and_up():
    assert daemons.weak_protocols(["all", "-SSLv3"]) == ["TLSv1", "TLSv1.1"]
    assert daemons.weak_protocols(["all"]) == ["SSLv3", "TLSv1", "TLSv1.1"]
