//! The COS XML API side: the object and multipart operations an uploader needs, signed with temporary keys from DescribeCosCredential.
