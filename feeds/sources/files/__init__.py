"""sources/files"""
