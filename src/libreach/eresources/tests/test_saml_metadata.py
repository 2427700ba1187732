"""SAML metadata aggregates read without a database: IdPs, names, scopes, safe parsing."""

import pytest

from libreach.eresources.saml_metadata import (
    MetadataError,
    SsoEndpoint,
    find_idp,
    fold,
    is_known_entity_id,
    iter_idps,
    read_idps,
)

AGGREGATE = b"""<?xml version="1.0" encoding="UTF-8"?>
<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:mdui="urn:oasis:names:tc:SAML:metadata:ui"
    xmlns:shibmd="urn:mace:shibboleth:metadata:1.0"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#"
    Name="https://www.carsi.edu.cn" validUntil="2030-01-01T00:00:00Z">
  <!-- an IdP with mdui names in two languages -->
  <md:EntityDescriptor entityID="https://idp.example-u.edu.cn/idp/shibboleth">
    <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
      <md:Extensions>
        <shibmd:Scope regexp="false">example-u.edu.cn</shibmd:Scope>
        <mdui:UIInfo>
          <mdui:DisplayName xml:lang="zh-CN">\xe7\xa4\xba\xe4\xbe\x8b\xe5\xa4\xa7\xe5\xad\xa6</mdui:DisplayName>
          <mdui:DisplayName xml:lang="en">Example University</mdui:DisplayName>
        </mdui:UIInfo>
      </md:Extensions>
      <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
          Location="https://idp.example-u.edu.cn/idp/profile/SAML2/Redirect/SSO"/>
      <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
          Location="https://idp.example-u.edu.cn/idp/profile/SAML2/POST/SSO"/>
    </md:IDPSSODescriptor>
    <md:Organization>
      <md:OrganizationName xml:lang="en">EXU</md:OrganizationName>
      <md:OrganizationDisplayName xml:lang="en">Org name not used</md:OrganizationDisplayName>
      <md:OrganizationURL xml:lang="en">https://www.example-u.edu.cn</md:OrganizationURL>
    </md:Organization>
  </md:EntityDescriptor>
  <!-- a service provider: skipped -->
  <md:EntityDescriptor entityID="https://sp.publisher.example.com/shibboleth">
    <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
      <md:AssertionConsumerService index="1"
          Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
          Location="https://sp.publisher.example.com/Shibboleth.sso/SAML2/POST"/>
    </md:SPSSODescriptor>
    <md:Organization>
      <md:OrganizationDisplayName xml:lang="en">Example University Press</md:OrganizationDisplayName>
    </md:Organization>
  </md:EntityDescriptor>
  <!-- an IdP without mdui: the organization display names, scope on the entity -->
  <md:EntityDescriptor entityID="https://idp.sample-tech.edu.cn/idp/shibboleth">
    <md:Extensions>
      <shibmd:Scope regexp="false">sample-tech.edu.cn</shibmd:Scope>
    </md:Extensions>
    <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
      <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
          Location="https://idp.sample-tech.edu.cn/idp/profile/SAML2/Redirect/SSO"/>
    </md:IDPSSODescriptor>
    <md:Organization>
      <md:OrganizationName xml:lang="zh">ST</md:OrganizationName>
      <md:OrganizationDisplayName xml:lang="zh">\xe7\xa4\xba\xe4\xbe\x8b\xe7\xa7\x91\xe6\x8a\x80\xe5\xa4\xa7\xe5\xad\xa6</md:OrganizationDisplayName>
      <md:OrganizationDisplayName xml:lang="en">Sample University of
          Technology</md:OrganizationDisplayName>
    </md:Organization>
  </md:EntityDescriptor>
</md:EntitiesDescriptor>
"""
EXU = "https://idp.example-u.edu.cn/idp/shibboleth"
SAMPLE = "https://idp.sample-tech.edu.cn/idp/shibboleth"


@pytest.fixture(scope="module")
def idps():
    return read_idps(AGGREGATE)


def test_idps_are_read_and_the_sp_skipped(idps):
    assert [idp.entity_id for idp in idps] == [EXU, SAMPLE]


def test_names_by_language_with_the_organization_fallback(idps):
    exu, sample = idps
    assert exu.names == (("zh-CN", "示例大学"), ("en", "Example University"))
    assert exu.name("zh") == "示例大学" and exu.name("en") == "Example University"
    assert exu.name("fr") == "Example University"
    assert sample.names == (("zh", "示例科技大学"), ("en", "Sample University of Technology"))


def test_scopes_and_sso_endpoints(idps):
    exu, sample = idps
    assert exu.scopes == ("example-u.edu.cn",)
    assert sample.scopes == ("sample-tech.edu.cn",)
    assert exu.sso_endpoints[0] == SsoEndpoint(
        "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
        "https://idp.example-u.edu.cn/idp/profile/SAML2/Redirect/SSO",
    )
    assert len(exu.sso_endpoints) == 2


def test_find_idp_in_chinese_and_english_ranked(idps):
    exu, sample = idps
    assert find_idp(idps, "示例大学") == [exu]  # exact beats 示例科技大学, which lacks it
    assert find_idp(idps, "示例") == [exu, sample]  # both start with it; shorter first
    assert find_idp(idps, "科技") == [sample]
    assert find_idp(idps, "ＥＸＡＭＰＬＥ ｕｎｉｖｅｒｓｉｔｙ") == [exu]  # width and case folded
    assert find_idp(idps, "university") == [exu, sample]  # contained in both
    assert find_idp(idps, "sample university of technology") == [sample]
    assert find_idp(idps, "Press") == []  # the SP is not an IdP
    assert find_idp(idps, "  ") == []
    assert fold("Ｅｘａｍｐｌｅ  U") == "exampleu"


def test_is_known_entity_id(idps):
    assert is_known_entity_id(idps, EXU)
    assert is_known_entity_id(idps, f" {SAMPLE}\n")
    assert not is_known_entity_id(idps, "https://sp.publisher.example.com/shibboleth")
    assert not is_known_entity_id(idps, EXU + "/")
    assert not is_known_entity_id(idps, "")


def test_read_from_a_file_lazily(tmp_path):
    path = tmp_path / "carsi-metadata.xml"
    path.write_bytes(AGGREGATE)
    stream = iter_idps(path)
    assert next(stream).entity_id == EXU
    with open(path, "rb") as handle:
        assert [idp.entity_id for idp in iter_idps(handle)] == [EXU, SAMPLE]


def test_a_large_aggregate_streams():
    entity = (
        '<md:EntityDescriptor entityID="https://idp{n}.example.edu.cn/idp/shibboleth">'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        "<md:Extensions><mdui:UIInfo>"
        '<mdui:DisplayName xml:lang="en">University {n}</mdui:DisplayName>'
        "</mdui:UIInfo></md:Extensions></md:IDPSSODescriptor></md:EntityDescriptor>"
    )
    body = "".join(entity.format(n=n) for n in range(3000))
    document = (
        '<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'xmlns:mdui="urn:oasis:names:tc:SAML:metadata:ui">{body}</md:EntitiesDescriptor>'
    ).encode()
    idps = read_idps(document)
    assert len(idps) == 3000
    assert find_idp(idps, "University 2999")[0].entity_id == (
        "https://idp2999.example.edu.cn/idp/shibboleth"
    )


def test_external_entities_are_not_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    document = f"""<?xml version="1.0"?>
<!DOCTYPE md:EntitiesDescriptor [<!ENTITY xxe SYSTEM "file://{secret}">]>
<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:mdui="urn:oasis:names:tc:SAML:metadata:ui">
  <md:EntityDescriptor entityID="https://idp.evil.example/idp">
    <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
      <md:Extensions><mdui:UIInfo>
        <mdui:DisplayName xml:lang="en">Evil &xxe;</mdui:DisplayName>
      </mdui:UIInfo></md:Extensions>
    </md:IDPSSODescriptor>
  </md:EntityDescriptor>
</md:EntitiesDescriptor>""".encode()
    (idp,) = read_idps(document)
    assert "TOP-SECRET" not in repr(idp)


def test_malformed_metadata_is_an_error():
    with pytest.raises(MetadataError):
        read_idps(b"<md:EntitiesDescriptor xmlns:md='urn:oasis:names:tc:SAML:2.0:metadata'>")


def test_a_single_entity_document_is_read():
    document = b"""<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
        entityID="https://idp.one.edu.cn/idp/shibboleth">
      <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/>
    </md:EntityDescriptor>"""
    (idp,) = read_idps(document)
    assert idp.entity_id == "https://idp.one.edu.cn/idp/shibboleth"
    assert idp.names == () and idp.name() == idp.entity_id
